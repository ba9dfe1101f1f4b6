// Puppeteer must not download its own browser: tests drive Debian's /usr/bin/chromium.
module.exports = { skipDownload: true };
