// The X11 library's basics (screenreel_x11: display, replies, rectangles, MIT-SHM segments) under
// the names the capture source's X11 files use.
#pragma once

#include "screenreel/x11/display.hpp"
#include "screenreel/x11/rect.hpp"
#include "screenreel/x11/shm_segment.hpp"

namespace screenreel::capture {

using x11::Free;
using x11::hex_id;
using x11::intersect;
using x11::kBadDrawable;
using x11::kBadWindow;
using x11::Rect;
using x11::Reply;
using x11::ShmSegment;
using x11::X11Display;

}  // namespace screenreel::capture
