#!/usr/bin/env python3
"""The viewer in headless Chromium (Selenium + chromedriver), against a running
`screenreel-replay serve`: the sessions page lists the catalog's sessions with their
thumbnails, and a text search's hit shows its frame with the matched words' boxes and opens the
player where the line was first seen, marked on the timeline; on a session's page the timeline
strip is drawn, hovering it shows that moment's frame, a click on it shows the frame the catalog
names for that time (its bytes read back from the page equal the JPEG file), the right arrow
steps one frame, n and N jump to the next and previous frame whose activity is above zero (as
the catalog says), the frame downloads, an export shows its progress and gives an MP4, space
plays and the frames advance. Exits non-zero on the first failed check.
Run by tests/serve/browser_test.cpp (ServeBrowser.*)."""
import argparse
import base64
import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def check(condition, what):
    if not condition:
        print("FAILED: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def browser(profile, size):
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-dev-shm-usage", "--window-size=%d,%d" % size, "--user-data-dir=" + profile):
        options.add_argument(a)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


@contextlib.contextmanager
def opened_browser(size=(1200, 900)):
    profile = tempfile.mkdtemp(prefix="screenreel-chromium-")
    driver = browser(profile, size)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def loaded(driver):
    """The page has fetched what it shows (the pages set body's data-loaded)."""
    return driver.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true"


def load(driver, url):
    driver.get(url)
    WebDriverWait(driver, 20).until(loaded)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--archive", required=True)
    p.add_argument("--session", type=int, required=True)
    p.add_argument("--screenshots", required=True)
    p.add_argument("--live", action="store_true", help="the session is being recorded: check it is followed")
    args = p.parse_args()
    if args.live:
        return check_live(args)

    db = sqlite3.connect("file:" + os.path.join(args.archive, "catalog.db") + "?mode=ro", uri=True)
    names = [r[0] for r in db.execute("SELECT name FROM sessions ORDER BY id")]
    folder = db.execute("SELECT folder FROM sessions WHERE id = ?", (args.session,)).fetchone()[0]
    origin, last = db.execute("SELECT MIN(capture_us), MAX(capture_us) FROM frames WHERE session_id = ?",
                              (args.session,)).fetchone()

    with opened_browser() as driver:
        wait = WebDriverWait(driver, 20)
        # The sessions page.
        load(driver, args.url + "/")
        shown = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".sessions .name")]
        for name in names:
            check(any(s.startswith(name) for s in shown), "the sessions page lists " + name)
        wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('.sessions img')].every(i => i.complete && i.naturalWidth > 0)"))
        check(len(driver.find_elements(By.CSS_SELECTOR, ".sessions img")) == len(names),
              "every session shows its first frame as a thumbnail")
        driver.save_screenshot(os.path.join(args.screenshots, "sessions.png"))

        # Text search: a hit opens the player at the frame where the line was first seen.
        hit = db.execute("SELECT session_id, first_seq FROM text_spans WHERE text = 'permission denied'").fetchone()
        check(hit is not None, "the fixture archive has the indexed line 'permission denied'")
        if hit:
            driver.find_element(By.ID, "words").send_keys("permission denied\n")
            wait.until(lambda d: d.find_element(By.ID, "hits").get_attribute("data-loaded") == "true")
            links = driver.find_elements(By.CSS_SELECTOR, "#hit-list a")
            check(len(links) == 1 and "permission denied" in links[0].text, "the search lists the line")
            wait.until(lambda d: d.execute_script(
                "const i = document.querySelector('#hit-list img'); return i && i.complete && i.naturalWidth > 0"))
            check(links[0].find_element(By.TAG_NAME, "img").get_attribute("src").endswith(
                "/api/frames/%d/%d.jpg" % (hit[0], hit[1])), "the hit shows the frame where the line was first seen")
            boxes = links[0].find_elements(By.CSS_SELECTOR, ".box")
            check(len(boxes) == 2, "both matched words are boxed (%d boxes)" % len(boxes))
            thumb = links[0].find_element(By.CSS_SELECTOR, ".thumb").rect
            first = boxes[0].rect
            # "permission" is at x 0..80, y 10..20 of the 160x120 frame.
            check(abs(first["x"] - thumb["x"]) <= 2 and abs(first["y"] - (thumb["y"] + thumb["height"] * 10 / 120)) <= 2
                  and abs(first["width"] - thumb["width"] * 80 / 160) <= 2,
                  "the box lies over the word on the thumbnail (%s in %s)" % (first, thumb))
            driver.save_screenshot(os.path.join(args.screenshots, "search.png"))
            links[0].click()
            wait.until(loaded)
            shown = driver.find_element(By.ID, "player").get_attribute("data-number")
            check(shown == str(hit[1]), "the hit opens the player at frame %d (shows %s)" % (hit[1], shown))
            marks = driver.find_elements(By.CSS_SELECTOR, "#marks .hit")
            check(len(marks) == 1, "the timeline marks where the words were (%d marks)" % len(marks))
            driver.save_screenshot(os.path.join(args.screenshots, "search-opened.png"))

        # The session page: seek by clicking the timeline at 70 % of its width.
        load(driver, args.url + "/session?id=%d" % args.session)
        player = driver.find_element(By.ID, "player")
        image = driver.find_element(By.ID, "frame")
        check(player.get_attribute("data-number") == "1", "the player starts at frame 1")
        timeline = driver.find_element(By.ID, "timeline")
        width = timeline.size["width"]
        end = last - origin

        # The timeline strip: one bucket a second, drawn.
        wait.until(lambda d: timeline.get_attribute("data-loaded") == "true")
        check(timeline.get_attribute("data-buckets") == str(end // 1000000 + 1),
              "the strip has a bucket per second (%s)" % timeline.get_attribute("data-buckets"))
        drawn = driver.execute_script(
            "const c = document.getElementById('heat'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            "let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] !== 232 || d[i + 1] !== 232) ++n; return n;")
        check(drawn > 0, "the heat strip is drawn (%d coloured pixels)" % drawn)

        # Markers (a line each, where its frame is) and pauses (a span each) over the strip.
        markers = db.execute(
            "SELECT m.label, f.capture_us FROM markers m JOIN frames f ON f.session_id = m.session_id AND f.seq = m.frame "
            "WHERE m.session_id = ?", (args.session,)).fetchall()
        check(len(markers) > 0, "the fixture session has a marker")
        shown = {e.get_attribute("data-label"): e for e in driver.find_elements(By.CSS_SELECTOR, "#marks .marker")}
        check(sorted(shown) == sorted(m[0] for m in markers),
              "the timeline shows the markers %s (shows %s)" % ([m[0] for m in markers], sorted(shown)))
        for label, capture_us in markers:
            if label in shown:
                x = shown[label].location["x"] - timeline.location["x"]
                check(abs(x - width * (capture_us - origin) / end) <= width * 0.01 + 2,
                      "marker %r is at %d px of %d (its frame is at %.1f%%)" % (label, x, width, 100 * (capture_us - origin) / end))
        pauses = db.execute("SELECT count(*) FROM pauses WHERE session_id = ?", (args.session,)).fetchone()[0]
        check(len(driver.find_elements(By.CSS_SELECTOR, "#marks .pause")) == pauses, "the timeline shows %d pauses" % pauses)
        driver.save_screenshot(os.path.join(args.screenshots, "session-markers.png"))

        # Hovering the strip at 30 % shows the frame on screen then.
        ActionChains(driver).move_to_element_with_offset(timeline, int(width * 0.3 - width / 2), 0).perform()
        hover = driver.find_element(By.ID, "hover")
        wait.until(lambda d: hover.is_displayed() and d.execute_script(
            "const i = document.getElementById('hover-image'); return i.complete && i.naturalWidth > 0"))
        hovered = int(hover.get_attribute("data-number"))
        expected = db.execute(
            "SELECT seq FROM frames WHERE session_id = ? AND capture_us <= ? ORDER BY capture_us DESC, seq DESC LIMIT 1",
            (args.session, origin + int(0.3 * end))).fetchone()[0]
        check(abs(hovered - expected) <= 3, "hovering at 30%% shows frame %d (expected about %d)" % (hovered, expected))
        check(driver.find_element(By.ID, "hover-image").get_attribute("src").endswith("/%d.jpg" % hovered),
              "the hover image is that frame's")
        driver.save_screenshot(os.path.join(args.screenshots, "session-hover.png"))
        # Selenium 4 offsets are from the element's centre.
        ActionChains(driver).move_to_element_with_offset(timeline, int(width * 0.7 - width / 2), 0).click().perform()
        t = int(player.get_attribute("data-offset-us"))
        check(abs(t - 0.7 * end) <= end * 0.02, "the click seeks to 70%% of the session (%d of %d us)" % (t, end))
        seq, file = db.execute(
            "SELECT seq, file FROM frames WHERE session_id = ? AND capture_us <= ? ORDER BY capture_us DESC, seq DESC LIMIT 1",
            (args.session, origin + t)).fetchone()
        check(player.get_attribute("data-number") == str(seq), "the player shows frame %d, the catalog's for that time" % seq)
        check(image.get_attribute("src").endswith("/api/frames/%d/%d.jpg" % (args.session, seq)), "the image is that frame's")
        wait.until(lambda d: d.execute_script("const i = document.getElementById('frame'); return i.complete && i.naturalWidth > 0"))
        shown_bytes = base64.b64decode(driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(document.getElementById('frame').src).then(r => r.arrayBuffer()).then(b => {"
            "  let s = ''; for (const c of new Uint8Array(b)) s += String.fromCharCode(c); done(btoa(s)); });"))
        with open(os.path.join(args.archive, "sessions", folder, file), "rb") as f:
            check(shown_bytes == f.read(), "the displayed image's bytes equal " + file)
        check(driver.find_element(By.ID, "number").text == str(seq), "the frame number is shown")
        driver.save_screenshot(os.path.join(args.screenshots, "session-seeked.png"))

        # The right arrow steps one frame.
        body = driver.find_element(By.TAG_NAME, "body")
        ActionChains(driver).send_keys("\ue014").perform()  # Keys.ARROW_RIGHT
        check(player.get_attribute("data-number") == str(seq + 1), "the right arrow steps to frame %d" % (seq + 1))

        seq += 1

        # n and N: the next and previous frame whose activity is above zero, as the catalog says.
        def change(after, forward):
            row = db.execute(
                "SELECT seq FROM frames WHERE session_id = ? AND changed_tiles > 0 AND seq %s ? ORDER BY seq %s LIMIT 1"
                % ((">", "ASC") if forward else ("<", "DESC")), (args.session, after)).fetchone()
            return row[0]
        for key, forward in (("n", True), ("n", True), ("N", False)):
            want = change(seq, forward)
            ActionChains(driver).send_keys(key).perform()
            wait.until(lambda d: player.get_attribute("data-number") == str(want))
            check(True, "%s jumps from frame %d to frame %d, the %s one that changed" %
                  (key, seq, want, "next" if forward else "previous"))
            seq = want
        check(db.execute("SELECT changed_tiles FROM frames WHERE session_id = ? AND seq = ?",
                         (args.session, seq + 1)).fetchone()[0] == 0, "(the frame after it changed nothing)")

        # The frame downloads: the link gives its file as an attachment.
        link = driver.find_element(By.ID, "download-frame").get_attribute("href")
        check(link.endswith("/api/frames/%d/%d.jpg?download" % (args.session, seq)), "the download link is the frame's")
        got = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(async r => { const b = new Uint8Array(await r.arrayBuffer()); let s = '';"
            "  for (const c of b) s += String.fromCharCode(c); done([r.headers.get('content-disposition'), btoa(s)]); });",
            link)
        file = db.execute("SELECT file FROM frames WHERE session_id = ? AND seq = ?", (args.session, seq)).fetchone()[0]
        with open(os.path.join(args.archive, "sessions", folder, file), "rb") as f:
            check(got[0].startswith("attachment") and base64.b64decode(got[1]) == f.read(),
                  "the download is %s as an attachment (%s)" % (file, got[0]))

        # Export: progress shown, then a link to the video.
        driver.find_element(By.ID, "export").click()
        WebDriverWait(driver, 120).until(lambda d: d.find_elements(By.ID, "export-link")
                                         or "failed" in d.find_element(By.ID, "export-status").text)
        status = driver.find_element(By.ID, "export-status").text
        check(len(driver.find_elements(By.ID, "export-link")) == 1, "the export finishes (%s)" % status)
        bar = driver.find_element(By.ID, "export-progress")
        check(bar.is_displayed() and bar.get_attribute("value") == bar.get_attribute("max"),
              "the progress bar is full (%s of %s)" % (bar.get_attribute("value"), bar.get_attribute("max")))
        kind = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(document.getElementById('export-link').href).then(async r => {"
            "  const b = new Uint8Array(await r.arrayBuffer()); done([r.headers.get('content-type'), String.fromCharCode(...b.slice(4, 8))]); });")
        check(kind == ["video/mp4", "ftyp"], "the video is an MP4 (%s)" % kind)
        driver.save_screenshot(os.path.join(args.screenshots, "session-exported.png"))

        # Space plays from here: the frames advance at their recorded timing.
        driver.execute_script("document.activeElement.blur(); arguments[0].focus()", body)
        ActionChains(driver).send_keys(" ").perform()
        check(player.get_attribute("data-playing") == "true", "space starts playback")
        seen = []

        def advanced(d):
            n = int(player.get_attribute("data-number"))
            if not seen or seen[-1] != n:
                seen.append(n)
            return n >= seq + 6

        WebDriverWait(driver, 20, poll_frequency=0.05).until(advanced)  # at 1x: 0.5 s
        check(len(seen) >= 2 and seen == sorted(seen), "frames advance while playing: %s" % seen)
        driver.save_screenshot(os.path.join(args.screenshots, "session-playing.png"))
        ActionChains(driver).send_keys(" ").perform()
        check(player.get_attribute("data-playing") == "false", "space pauses")


def check_live(args):
    """A session being recorded: marked live on both pages, and its page shows new frames as the
    receiver writes them, without a reload."""
    with opened_browser() as driver:
        wait = WebDriverWait(driver, 20)
        load(driver, args.url + "/")
        card = driver.find_element(By.CSS_SELECTOR, ".sessions li[data-session='%d']" % args.session)
        check(len(card.find_elements(By.CSS_SELECTOR, ".live")) == 1, "the sessions page marks the session live")
        load(driver, args.url + "/session?id=%d" % args.session)
        check(driver.find_element(By.ID, "live").is_displayed(), "the session page marks it live")
        first = int(driver.find_element(By.ID, "frames").text)
        check(first >= 1, "the page shows the frames written so far (%d)" % first)
        wait.until(lambda d: int(d.find_element(By.ID, "frames").text) >= first + 5)
        now = int(driver.find_element(By.ID, "frames").text)
        check(now >= first + 5, "frames written after the page opened are added (%d -> %d)" % (first, now))
        # Played to the end, the player shows the newest frame.
        ActionChains(driver).send_keys(" ").perform()
        wait.until(lambda d: int(d.find_element(By.ID, "player").get_attribute("data-number")) >= now)
        check(True, "playback reaches the frames added live")
        driver.save_screenshot(os.path.join(args.screenshots, "session-live.png"))


if __name__ == "__main__":
    main()
