// The Tesseract engine (see engine.hpp).
#include "screenreel/ocr/engine.hpp"

#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace screenreel::ocr {
namespace {

// Luma from 8-bit B, G, R: (29 B + 150 G + 77 R) / 256, BT.601 in fixed point.
template <std::size_t kBytesPerPixel>
GrayImage to_gray(const std::uint8_t* pixels, std::int32_t width, std::int32_t height,
                  std::size_t stride) {
  GrayImage g(width, height);
  for (std::int32_t y = 0; y < height; ++y) {
    const std::uint8_t* in = pixels + std::size_t(y) * stride;
    std::uint8_t* out = g.row(y);
    for (std::int32_t x = 0; x < width; ++x, in += kBytesPerPixel)
      out[x] = static_cast<std::uint8_t>((29u * in[0] + 150u * in[1] + 77u * in[2]) >> 8);
  }
  return g;
}

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

// Empty boxes, rules and borders come back as "words" of blanks or punctuation: not text.
bool has_letter_or_digit(std::string_view word) {
  return std::any_of(word.begin(), word.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u);
  });
}

std::string tessdata_hint() {
  const char* prefix = std::getenv("TESSDATA_PREFIX");
  return prefix ? std::string(" (TESSDATA_PREFIX is ") + prefix + ")" : std::string();
}

}  // namespace

GrayImage gray_from_bgrx(const std::uint8_t* pixels, std::int32_t width, std::int32_t height,
                         std::size_t stride) {
  return to_gray<4>(pixels, width, height, stride);
}

GrayImage gray_from_bgr(const std::uint8_t* pixels, std::int32_t width, std::int32_t height,
                        std::size_t stride) {
  return to_gray<3>(pixels, width, height, stride);
}

void limit_openmp_threads(char** argv) {
  if (std::getenv("OMP_THREAD_LIMIT")) return;
  ::setenv("OMP_THREAD_LIMIT", "1", 1);
  ::execv("/proc/self/exe", argv);
}

Engine::Engine(EngineOptions options)
    : options_(std::move(options)), api_(std::make_unique<tesseract::TessBaseAPI>()) {
  // LSTM only: the legacy engine is slower and not better on screen text.
  if (api_->Init(nullptr, options_.lang.c_str(), tesseract::OEM_LSTM_ONLY) != 0) {
    std::string packages;
    for (std::size_t start = 0; start <= options_.lang.size();) {
      auto end = options_.lang.find('+', start);
      if (end == std::string::npos) end = options_.lang.size();
      std::string code = options_.lang.substr(start, end - start);
      for (auto& c : code)
        if (c == '_') c = '-';
      packages += " tesseract-ocr-" + code;
      start = end + 1;
    }
    throw std::runtime_error("cannot load the Tesseract model for --ocr-lang " + options_.lang +
                             tessdata_hint() + ": install it (apt-get install" + packages +
                             "; the languages installed are listed by `tesseract --list-langs`)");
  }
  // Automatic page segmentation: a changed region of a screen may hold columns and blocks.
  api_->SetPageSegMode(tesseract::PSM_AUTO);
}

Engine::~Engine() {
  if (api_) api_->End();
}

std::vector<TextLine> Engine::read(const GrayImage& image, const PixelRect& wanted) {
  std::vector<TextLine> lines;
  const PixelRect region = wanted.intersected(image.bounds());
  // Tesseract finds nothing in slivers; a line of text needs some height.
  if (region.w < 8 || region.h < 8) return lines;
  api_->SetImage(image.row(region.y) + region.x, region.w, region.h, 1, image.width);
  api_->SetSourceResolution(96);  // a screen; without it Tesseract guesses and warns
  if (api_->Recognize(nullptr) != 0) return lines;
  std::unique_ptr<tesseract::ResultIterator> it(api_->GetIterator());
  if (!it) return lines;
  TextLine line;
  double confidence_sum = 0;
  auto end_line = [&] {
    if (!line.words.empty()) {
      line.confidence = confidence_sum / static_cast<double>(line.words.size());
      lines.push_back(std::move(line));
    }
    line = TextLine{};
    confidence_sum = 0;
  };
  do {
    if (it->Empty(tesseract::RIL_WORD)) continue;
    if (it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) end_line();
    const std::unique_ptr<char[]> raw(it->GetUTF8Text(tesseract::RIL_WORD));
    const std::string word = raw ? trimmed(raw.get()) : std::string();
    const double confidence = it->Confidence(tesseract::RIL_WORD);
    int left = 0, top = 0, right = 0, bottom = 0;
    if (!has_letter_or_digit(word) || confidence < options_.min_word_confidence ||
        !it->BoundingBox(tesseract::RIL_WORD, &left, &top, &right, &bottom))
      continue;
    const PixelRect box{region.x + left, region.y + top, right - left, bottom - top};
    if (!line.text.empty()) line.text += ' ';
    line.text += word;
    line.words.push_back(box);
    line.box = line.box.united(box);
    confidence_sum += confidence;
  } while (it->Next(tesseract::RIL_WORD));
  end_line();
  return lines;
}

}  // namespace screenreel::ocr
