// The Tesseract engine (see engine.hpp).
#include "screenreel/ocr/engine.hpp"

#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <opencv2/imgproc.hpp>
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

// Tesseract's model was trained on print at 300 dpi; screen text is small (xterm's default
// font `fixed` 6x13 and 10 px UI text have letters 6 px high, most of them) and came back empty
// or garbled ("hella fron") at its own size. Text whose median letter is under 9 px high is
// scaled up (cubic), twice for 6 to 8 px, 3 times below that: docs/benchmarks.md (OCR recall)
// has the measurements; more was not better and took up to twice as long.
constexpr double kWantedLetterHeight = 13;
constexpr int kMaxScale = 3;

// What Tesseract is given: the region, dark text on a light background, scaled up when its text
// is small.
struct Prepared {
  cv::Mat image;
  int scale = 1;
};

// The glyph-sized blobs of `ink` (non-zero pixels; not rules, borders, windows or pictures):
// how many, and their median height.
struct Glyphs {
  std::size_t count = 0;
  int median_height = 0;
};

Glyphs glyphs(const cv::Mat& ink) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  std::vector<int> heights;
  for (int i = 1; i < n; ++i) {
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    if (h >= 3 && h <= 64 && w <= 2 * h) heights.push_back(h);
  }
  Glyphs g;
  g.count = heights.size();
  if (heights.empty()) return g;
  auto mid = heights.begin() + static_cast<std::ptrdiff_t>(heights.size() / 2);
  std::nth_element(heights.begin(), mid, heights.end());
  g.median_height = *mid;
  return g;
}

Prepared prepare(const GrayImage& image, const PixelRect& region) {
  const cv::Mat view(region.h, region.w, CV_8UC1,
                     const_cast<std::uint8_t*>(image.row(region.y) + region.x),
                     static_cast<std::size_t>(image.width));
  Prepared p;
  // Text is whichever side of Otsu's threshold makes more letter-sized blobs: dark on light
  // (pages, most windows) or light on dark (terminals), which is inverted, as Tesseract's model
  // was trained on dark text.
  cv::Mat light, dark;
  cv::threshold(view, light, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  cv::bitwise_not(light, dark);
  const Glyphs on_light = glyphs(dark), on_dark = glyphs(light);
  const bool light_text = on_dark.count > on_light.count;
  const Glyphs& text = light_text ? on_dark : on_light;
  if (light_text)
    cv::bitwise_not(view, p.image);
  else
    p.image = view.clone();
  if (text.count >= 3)
    p.scale = std::clamp(static_cast<int>(std::lround(kWantedLetterHeight / text.median_height)), 1,
                         kMaxScale);
  if (p.scale > 1) cv::resize(p.image, p.image, cv::Size(), p.scale, p.scale, cv::INTER_CUBIC);
  return p;
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
  // Tesseract's own notices ("Warning: guessing pitch as xheight ...", one per odd region) go
  // to its debug file, not the receiver's terminal: they say nothing a user can act on.
  api_->SetVariable("debug_file", "/dev/null");
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
  // A region is read as one block of lines (PSM 6), as terminals and most windows are: automatic
  // page segmentation (PSM 3) took the lines of xterm's default font for pictures and read
  // nothing, and sparse text (PSM 11) split them (docs/benchmarks.md, OCR recall). Columns side
  // by side come out as one line each, their words all found by search.
  api_->SetPageSegMode(tesseract::PSM_SINGLE_BLOCK);
}

Engine::~Engine() {
  if (api_) api_->End();
}

std::vector<TextLine> Engine::read(const GrayImage& image, const PixelRect& wanted) {
  std::vector<TextLine> lines;
  const PixelRect region = wanted.intersected(image.bounds());
  // Tesseract finds nothing in slivers; a line of text needs some height.
  if (region.w < 8 || region.h < 8) return lines;
  const Prepared p = prepare(image, region);
  api_->SetImage(p.image.data, p.image.cols, p.image.rows, 1, static_cast<int>(p.image.step));
  api_->SetSourceResolution(96 * p.scale);  // a screen; without it Tesseract guesses and warns
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
    // Back to the screen's pixels, rounding outwards.
    const PixelRect box{region.x + left / p.scale, region.y + top / p.scale,
                        (right + p.scale - 1) / p.scale - left / p.scale,
                        (bottom + p.scale - 1) / p.scale - top / p.scale};
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
