// Video export (see video_export.hpp).
#include "screenreel/replay/video_export.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "screenreel/replay/archive_access.hpp"
#include "screenreel/replay/output_file.hpp"
#include "screenreel/replay/frame_image.hpp"
#include "screenreel/replay/session_summary.hpp"
#include "screenreel/replay/text.hpp"

namespace screenreel::replay {
namespace fs = std::filesystem;
namespace {

int fourcc(const std::string& code) {
  return cv::VideoWriter::fourcc(code[0], code[1], code[2], code[3]);
}

// `frame` scaled to fit `size` whole, its aspect ratio kept, centred on black: a frame recorded
// after the screen was resized (another size, maybe another shape) in a video of the first size.
cv::Mat fitted(const cv::Mat& frame, cv::Size size) {
  const double s = std::min(static_cast<double>(size.width) / frame.cols,
                            static_cast<double>(size.height) / frame.rows);
  const cv::Size inner(std::clamp(static_cast<int>(std::lround(frame.cols * s)), 1, size.width),
                       std::clamp(static_cast<int>(std::lround(frame.rows * s)), 1, size.height));
  cv::Mat out(size, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat place = out(cv::Rect((size.width - inner.width) / 2, (size.height - inner.height) / 2,
                               inner.width, inner.height));
  cv::resize(frame, place, inner, 0, 0, s < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// OpenCV logs a warning for every codec a writer tries and refuses; the error message says it
// better, so those warnings are kept quiet while writers are opened.
class QuietOpenCv {
 public:
  QuietOpenCv() : old_(cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR)) {}
  ~QuietOpenCv() { cv::utils::logging::setLogLevel(old_); }
  QuietOpenCv(const QuietOpenCv&) = delete;
  QuietOpenCv& operator=(const QuietOpenCv&) = delete;

 private:
  cv::utils::logging::LogLevel old_;
};

bool open_writer(cv::VideoWriter& w, const fs::path& file, const std::string& codec, double fps,
                 cv::Size size) {
  QuietOpenCv quiet;
  return w.open(file.string(), cv::CAP_FFMPEG, fourcc(codec), fps, size) ||
         w.open(file.string(), cv::CAP_ANY, fourcc(codec), fps, size);
}

// H.264 written with libavcodec's libx264 directly rather than through cv::VideoWriter: OpenCV
// 4.6 opens the encoder with no options (OPENCV_FFMPEG_WRITER_OPTIONS only picks hardware
// acceleration), so libx264 ran with its defaults, 3 frame threads and 40 frames of lookahead,
// which held 500+ MB of 1080p frames (an export peaked at 650 MB). "zerolatency" encodes each
// frame as it comes (no lookahead, no B-frames, slice threads): about 75 MB at 1080p, files about
// a third larger at the same quality (crf 23, OpenCV's setting). See docs/benchmarks.md.
class H264Writer {
 public:
  // Throws Failure naming the file when libx264 or the container cannot be set up.
  // A non-empty `comment` goes in the container's metadata ("comment": MP4's ©cmt, Matroska's
  // COMMENT tag), where ffprobe and players show it.
  H264Writer(const fs::path& file, double fps, cv::Size size, const std::string& comment) : file_(file) {
    AVFormatContext* oc = nullptr;
    if (avformat_alloc_output_context2(&oc, nullptr, nullptr, file.c_str()) < 0 || !oc)
      fail("no container for this file name");
    oc_.reset(oc);
    if (!comment.empty() && av_dict_set(&oc->metadata, "comment", comment.c_str(), 0) < 0) fail("out of memory");
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) fail("this FFmpeg has no libx264");
    AVStream* st = avformat_new_stream(oc, nullptr);
    ctx_.reset(avcodec_alloc_context3(codec));
    if (!st || !ctx_) fail("out of memory");
    ctx_->width = size.width;
    ctx_->height = size.height;
    ctx_->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx_->time_base = av_inv_q(av_d2q(fps, 1'000'000));
    ctx_->framerate = av_d2q(fps, 1'000'000);
    ctx_->thread_count = 2;
    if (oc->oformat->flags & AVFMT_GLOBALHEADER) ctx_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "preset", "medium", 0);
    av_dict_set(&opts, "tune", "zerolatency", 0);
    av_dict_set(&opts, "crf", "23", 0);
    const int opened = avcodec_open2(ctx_.get(), codec, &opts);
    av_dict_free(&opts);
    if (opened < 0) fail("libx264 refused the settings");
    st->time_base = ctx_->time_base;
    st->avg_frame_rate = ctx_->framerate;
    if (avcodec_parameters_from_context(st->codecpar, ctx_.get()) < 0) fail("stream parameters");
    if (avio_open(&oc->pb, file.c_str(), AVIO_FLAG_WRITE) < 0) fail("cannot open it for writing");
    if (avformat_write_header(oc, nullptr) < 0) fail("cannot write the container's header");
    frame_.reset(av_frame_alloc());
    packet_.reset(av_packet_alloc());
    if (!frame_ || !packet_) fail("out of memory");
    frame_->format = AV_PIX_FMT_YUV420P;
    frame_->width = size.width;
    frame_->height = size.height;
    if (av_frame_get_buffer(frame_.get(), 0) < 0) fail("out of memory");
    sws_.reset(sws_getContext(size.width, size.height, AV_PIX_FMT_BGR24, size.width, size.height,
                              AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
    if (!sws_) fail("no BGR to YUV conversion");
  }
  ~H264Writer() {
    if (oc_ && oc_->pb) avio_closep(&oc_->pb);
  }
  H264Writer(const H264Writer&) = delete;
  H264Writer& operator=(const H264Writer&) = delete;

  void write(const cv::Mat& bgr) {
    if (av_frame_make_writable(frame_.get()) < 0) fail("out of memory");
    const std::uint8_t* src[] = {bgr.data};
    const int stride[] = {static_cast<int>(bgr.step)};
    sws_scale(sws_.get(), src, stride, 0, bgr.rows, frame_->data, frame_->linesize);
    frame_->pts = next_pts_++;
    encode(frame_.get());
  }
  // Flushes the encoder and writes the container's index.
  void finish() {
    encode(nullptr);
    if (av_write_trailer(oc_.get()) < 0) fail("cannot finish the file");
    if (avio_closep(&oc_->pb) < 0) fail("cannot close the file");
  }

 private:
  void encode(AVFrame* frame) {
    if (avcodec_send_frame(ctx_.get(), frame) < 0) fail("the encoder failed");
    for (;;) {
      const int r = avcodec_receive_packet(ctx_.get(), packet_.get());
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
      if (r < 0) fail("the encoder failed");
      av_packet_rescale_ts(packet_.get(), ctx_->time_base, oc_->streams[0]->time_base);
      packet_->stream_index = 0;
      if (av_interleaved_write_frame(oc_.get(), packet_.get()) < 0) fail("cannot write to it");
    }
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw Failure("cannot write H.264 to " + file_.string() + ": " + why);
  }

  struct FreeFormat {
    void operator()(AVFormatContext* c) const { avformat_free_context(c); }
  };
  struct FreeCodec {
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
  };
  struct FreeFrame {
    void operator()(AVFrame* f) const { av_frame_free(&f); }
  };
  struct FreePacket {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
  };
  struct FreeSws {
    void operator()(SwsContext* s) const { sws_freeContext(s); }
  };
  fs::path file_;
  std::unique_ptr<AVFormatContext, FreeFormat> oc_;
  std::unique_ptr<AVCodecContext, FreeCodec> ctx_;
  std::unique_ptr<AVFrame, FreeFrame> frame_;
  std::unique_ptr<AVPacket, FreePacket> packet_;
  std::unique_ptr<SwsContext, FreeSws> sws_;
  std::int64_t next_pts_ = 0;
};

std::string formats_text(const std::vector<VideoFormat>& formats) {
  if (formats.empty()) return "none (this OpenCV build has no video writer)";
  std::string s;
  for (const auto& f : formats) s += (s.empty() ? "" : ", ") + f.extension + " (" + f.codec + ")";
  return s;
}

// Output frame sizes are even: H.264 and most players need that for 4:2:0 video.
int even(double v) {
  return std::max(2, static_cast<int>(std::lround(v / 2)) * 2);
}

}  // namespace

const std::vector<VideoFormat>& known_video_formats() {
  static const std::vector<VideoFormat> formats = {
      {".mp4", "avc1", "H.264 in MP4"},       {".mp4", "mp4v", "MPEG-4 part 2 in MP4"},
      {".mkv", "avc1", "H.264 in Matroska"},  {".mkv", "MJPG", "Motion JPEG in Matroska"},
      {".mov", "avc1", "H.264 in QuickTime"}, {".mov", "mp4v", "MPEG-4 part 2 in QuickTime"},
      {".avi", "MJPG", "Motion JPEG in AVI"}, {".avi", "XVID", "MPEG-4 part 2 in AVI"},
  };
  return formats;
}

std::vector<VideoFormat> writable_video_formats() {
  std::vector<VideoFormat> ok;
  const cv::Mat probe(64, 64, CV_8UC3, cv::Scalar(0, 0, 0));
  for (const auto& f : known_video_formats()) {
    if (!ok.empty() && ok.back().extension == f.extension)
      continue;  // the first that works per extension
    const fs::path file =
        fs::temp_directory_path() /
        ("screenreel-probe-" + std::to_string(::getpid()) + "-" + f.codec + f.extension);
    cv::VideoWriter w;
    if (open_writer(w, file, f.codec, 10, probe.size())) {
      w.write(probe);
      ok.push_back(f);
    }
    w.release();
    std::error_code ec;
    fs::remove(file, ec);
  }
  return ok;
}

VideoExportResult export_video(const ArchivePaths& paths, CatalogReader& catalog,
                               const SessionRecord& session, const VideoExportOptions& options) {
  const fs::path& out = options.output;
  const std::string ext = lower(out.extension().string());
  std::vector<std::string> codecs;
  if (!options.codec.empty()) {
    if (options.codec.size() != 4)
      throw BadOption("--codec \"" + options.codec + "\" is not a FOURCC (4 characters, e.g. avc1)");
    codecs.push_back(options.codec);
  } else {
    for (const auto& f : known_video_formats())
      if (f.extension == ext) codecs.push_back(f.codec);
    if (codecs.empty())
      throw Failure(
          "cannot export to " + out.string() + ": unknown video format \"" + ext +
          "\"; name the file .mp4, .mkv, .mov or .avi (or give --codec). This build writes: " +
          formats_text(writable_video_formats()));
  }
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  if (std::error_code ec; !fs::is_directory(dir, ec))
    throw Failure("cannot export to " + out.string() + ": folder " + dir.string() +
                  " does not exist");
  if (!(options.scale > 0 && options.scale <= 4))
    throw BadOption("--scale must be more than 0 and at most 4");
  if (!(options.speed > 0 && options.speed <= 1000))
    throw BadOption("--speed must be more than 0 and at most 1000");
  if (options.fps && !(*options.fps >= 0.1 && *options.fps <= 240))
    throw BadOption("--fps must be within 0.1 .. 240");

  if (options.redactor && (std::find(codecs.begin(), codecs.end(), "avc1") == codecs.end() ||
                           !avcodec_find_encoder_by_name("libx264")))
    throw Failure("cannot export a redacted " + (options.codec.empty() ? ext : "--codec " + options.codec) +
                  ": only H.264 (.mp4, .mkv, .mov with this build's libx264) carries the note that it was "
                  "redacted; name the file .mp4, or export --frames");
  if (options.redactor) codecs = {"avc1"};
  const Timeline timeline = Timeline::load(catalog, session, options.range);
  // A frame is held at most kMaxHoldUs (or --idle-limit): a clock that jumped years cannot make
  // an endless video.
  const Schedule schedule =
      make_schedule(timeline, std::min(options.idle_limit_us.value_or(kMaxHoldUs), kMaxHoldUs));
  VideoExportResult result;
  result.fps = options.fps ? *options.fps : median_fps(frame_stats(catalog, session.id), session);
  const auto& first = timeline.frames().front();
  const cv::Size size(even(first.width * options.scale), even(first.height * options.scale));
  result.width = size.width;
  result.height = size.height;

  OutputFile file(out, options.force);  // checked before any work: a taken name fails at once
  const fs::path& partial = file.path();
  cv::VideoWriter writer;
  std::unique_ptr<H264Writer> h264;
  for (const auto& c : codecs) {
    if (c == "avc1" && avcodec_find_encoder_by_name("libx264")) {
      h264 = std::make_unique<H264Writer>(partial, result.fps, size,
                                          options.redactor ? options.redactor->note() : std::string());
      result.codec = c;
      break;
    }
    if (open_writer(writer, partial, c, result.fps, size)) {
      result.codec = c;
      break;
    }
  }
  if (!h264 && !writer.isOpened()) {
    throw Failure("cannot export to " + out.string() + ": OpenCV's VideoWriter cannot write " +
                  ext + " with codec " + codecs.front() +
                  " in this build. It writes: " + formats_text(writable_video_formats()));
  }

  // Frame k of the output shows what was on screen k / fps seconds (of schedule time) into the
  // range.
  const double step_us = 1e6 * options.speed / result.fps;
  const auto total =
      static_cast<std::uint64_t>(std::floor(static_cast<double>(schedule.end_us) / step_us)) + 1;
  cv::Mat image(size, CV_8UC3, cv::Scalar(0, 0, 0));  // black until a first frame is readable
  std::optional<std::size_t> loaded;
  try {
    for (std::uint64_t k = 0; k < total; ++k) {
      const std::size_t i = schedule.index_at(
          static_cast<std::int64_t>(std::llround(static_cast<double>(k) * step_us)));
      if (i != loaded) {
        loaded = i;
        try {
          cv::Mat frame = load_frame(paths, session, timeline.frames()[i]);
          if (options.redactor) {
            const auto& frames = timeline.frames();
            const auto boxes = options.redactor->boxes(
                frames[i], i + 1 < frames.size() ? frames[i + 1].capture_us : timeline.end_us());
            options.redactor->cover(frame, boxes);
            result.redacted += boxes.empty() ? 0 : 1;
          }
          if (frame.size() != size)
            image = fitted(frame, size);
          else
            image = frame;
        } catch (const Failure&) {
          ++result.unreadable;  // the frame before stays in the video; verify says what is wrong
        }
      }
      if (h264)
        h264->write(image);
      else
        writer.write(image);
      ++result.frames;
      if (options.progress) options.progress(k + 1, total);
    }
    if (h264) h264->finish();
    h264.reset();
    writer.release();
    file.commit();
  } catch (...) {
    h264.reset();
    writer.release();  // OutputFile removes what was written
    throw;
  }
  return result;
}

}  // namespace screenreel::replay
