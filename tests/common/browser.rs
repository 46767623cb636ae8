//! Headless Chromium for the report tests: find the browser, take a screenshot, dump the DOM
//! as rendered, and decode PNGs. CI installs chromium and sets CI=true; elsewhere a test
//! without the browser is skipped with a message.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Chromium's binary, if installed.
pub fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|p| p.join(name))
                    .find(|p| p.is_file())
            })
        })
}

/// The browser, or `None` after saying the test is skipped (never on CI).
pub fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed, but CI must run {test}"
        );
        eprintln!("SKIPPED {test}: chromium is not installed (apt-get install chromium)");
    }
    found
}

/// Flags for a quiet, offline, reproducible headless browser.
pub const FLAGS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
];

/// Takes a screenshot of `page` at `width`×`height` into `shot`; returns the browser's log.
/// Panics when the browser fails or the page logs an error.
pub fn screenshot(browser: &Path, page: &Path, shot: &Path, width: u32, height: u32) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed: {log}");
    for bad in ["Uncaught", "net::ERR_", ":CONSOLE"] {
        assert!(
            !log.contains(bad),
            "the page logged an error ({bad}): {log}"
        );
    }
    log
}

/// The DOM of `page` after the browser has laid it out and run its scripts.
pub fn dump_dom(browser: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args(&FLAGS[..8])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Decodes a PNG into (width, height, RGB or RGBA pixels, channels).
pub fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>, usize) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a valid PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a valid PNG frame");
    buf.truncate(info.buffer_size());
    let channels = info.color_type.samples();
    (info.width, info.height, buf, channels)
}

/// Pixels that are not white, and pixels in the charts' blue (0, 114, 178) within
/// antialiasing, of a decoded image.
pub fn inked_and_blue(pixels: &[u8], channels: usize) -> (usize, usize) {
    let px: Vec<&[u8]> = pixels.chunks(channels).collect();
    let inked = px.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    let blue = px
        .iter()
        .filter(|p| p[0] < 40 && (95..135).contains(&p[1]) && (160..200).contains(&p[2]))
        .count();
    (inked, blue)
}

/// A copy of `page` with a script that, once laid out, writes each figure's id and its
/// chart's rendered size into `<body data-sizes="id:WxH,...">` (the page itself has no
/// scripts); returns the copy's path.
pub fn with_size_probe(page: &Path) -> PathBuf {
    let html = std::fs::read_to_string(page).unwrap();
    let probe = "<script>document.body.setAttribute('data-sizes',[...document.querySelectorAll('figure')].map(f=>{const r=f.querySelector('svg').getBoundingClientRect();return f.id+':'+Math.round(r.width)+'x'+Math.round(r.height)}).join(','));</script></body>";
    let copy = page.with_file_name("probed.html");
    std::fs::write(&copy, html.replace("</body>", probe)).unwrap();
    copy
}

/// The sizes the probe wrote: (figure id, width, height).
pub fn probed_sizes(dom: &str) -> Vec<(String, u32, u32)> {
    let start = dom.find("data-sizes=\"").expect("the probe ran") + "data-sizes=\"".len();
    let end = start + dom[start..].find('"').unwrap();
    dom[start..end]
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (id, size) = s.rsplit_once(':').unwrap();
            let (w, h) = size.split_once('x').unwrap();
            (id.to_string(), w.parse().unwrap(), h.parse().unwrap())
        })
        .collect()
}
