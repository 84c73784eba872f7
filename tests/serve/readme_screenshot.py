#!/usr/bin/env python3
"""The README's picture of the viewer (docs/images/serve.png), taken in headless Chromium at
1280x800 from a running `screenreel-replay serve`: a text search on the sessions page, its first
hit opened, so the session's page shows the player at the frame where the words were on screen,
the timeline strip with its activity, the marker and the search hits marked (scroll bars hidden). Run by
scripts/serve-screenshot.sh, which records the session first; uses browser_test.py's browser."""
import argparse
import os
import sys

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_test import check, load, loaded, opened_browser  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--words", required=True, help="what to search for: text that was on screen")
    p.add_argument("--out", required=True, help="the PNG to write")
    p.add_argument("--size", default="1280x800", help="the browser window, WIDTHxHEIGHT")
    args = p.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with opened_browser((width, height)) as driver:
        # The page's viewport exactly WIDTHxHEIGHT (headless Chromium's window size counts its frame).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        wait = WebDriverWait(driver, 30)
        load(driver, args.url + "/")
        driver.find_element(By.ID, "words").send_keys(args.words + "\n")
        wait.until(lambda d: d.find_element(By.ID, "hits").get_attribute("data-loaded") == "true")
        links = driver.find_elements(By.CSS_SELECTOR, "#hit-list a")
        check(len(links) > 0, "the search finds %r" % args.words)
        links[0].click()
        wait.until(loaded)
        wait.until(lambda d: d.find_element(By.ID, "timeline").get_attribute("data-loaded") == "true")
        wait.until(lambda d: d.execute_script(
            "const i = document.getElementById('frame'); return i.complete && i.naturalWidth > 0"))
        check(len(driver.find_elements(By.CSS_SELECTOR, "#marks .hit")) > 0, "the timeline marks the hits")
        check(len(driver.find_elements(By.CSS_SELECTOR, "#marks .marker")) > 0, "the timeline shows the marker")
        # The pointer off the strip (no hover preview over the player), the page at its top.
        ActionChains(driver).move_to_element(driver.find_element(By.TAG_NAME, "header")).perform()
        driver.execute_script("window.scrollTo(0, 0); document.documentElement.style.overflow = 'hidden'")
        driver.save_screenshot(args.out)
        print("wrote " + args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
