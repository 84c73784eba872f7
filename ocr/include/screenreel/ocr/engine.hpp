// The OCR engine: Tesseract (libtesseract 5) reading the lines of text in a region of a grey
// image, with their words' boxes and confidences. One engine per thread (Tesseract's API object
// is not thread-safe); each runs Tesseract on one thread (OMP_THREAD_LIMIT=1), as the receiver
// must keep the other cores for recording.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "screenreel/archive/text_index.hpp"

namespace tesseract {
class TessBaseAPI;
}

namespace screenreel::ocr {

// 8-bit grey pixels, rows of exactly `width` bytes.
struct GrayImage {
  std::int32_t width = 0, height = 0;
  std::vector<std::uint8_t> pixels;

  GrayImage() = default;
  GrayImage(std::int32_t w, std::int32_t h)
      : width(w), height(h), pixels(std::size_t(w) * std::size_t(h)) {}
  std::uint8_t* row(std::int32_t y) { return pixels.data() + std::size_t(y) * std::size_t(width); }
  const std::uint8_t* row(std::int32_t y) const {
    return pixels.data() + std::size_t(y) * std::size_t(width);
  }
  PixelRect bounds() const { return {0, 0, width, height}; }
};

// From BGRX8888 (frames as the receiver holds them) or BGR888 (decoded JPEGs), rows `stride`
// bytes apart. The grey level is ITU-R BT.601 luma, as JPEG's Y.
GrayImage gray_from_bgrx(const std::uint8_t* pixels, std::int32_t width, std::int32_t height,
                         std::size_t stride);
GrayImage gray_from_bgr(const std::uint8_t* pixels, std::int32_t width, std::int32_t height,
                        std::size_t stride);

// Debian's Tesseract parallelises with OpenMP (up to 10 threads a call, spinning while they
// wait), and OpenMP reads its thread limit from the environment once, when the program starts.
// A program about to use the engine calls this first thing in main(): when OMP_THREAD_LIMIT is
// not set, it sets it to 1 and executes the program again (same pid, same arguments); when it is
// set, or the new execution fails, it returns.
void limit_openmp_threads(char** argv);

struct EngineOptions {
  std::string lang = "eng";  // Tesseract language(s): "eng", "eng+deu"
  // Words read with less confidence (0-100) are left out: on screens they are mostly icons,
  // borders and window decorations read as letters.
  double min_word_confidence = 50;
};

class Engine {
 public:
  // Throws std::runtime_error saying which package to install when the language's model is
  // missing (tesseract-ocr-LANG), or where Tesseract looked (TESSDATA_PREFIX).
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The lines of text inside `region` of `image` (clipped to it), boxes in image coordinates.
  // Lines without a word of at least min_word_confidence are left out.
  std::vector<TextLine> read(const GrayImage& image, const PixelRect& region);

  const EngineOptions& options() const { return options_; }

 private:
  EngineOptions options_;
  std::unique_ptr<tesseract::TessBaseAPI> api_;
};

}  // namespace screenreel::ocr
