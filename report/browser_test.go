package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// chromiumPath is Debian's chromium package (apt-get install -y chromium).
const chromiumPath = "/usr/bin/chromium"

// TestBrowserRender renders the small report in headless Chromium and
// checks that the screenshot is a real page: not blank, with the bar
// colour of the histograms and the highlight colour of the loops on it.
func TestBrowserRender(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("no " + chromiumPath + " (apt-get install -y chromium)")
	}
	if testing.Short() {
		t.Skip("starts a browser")
	}
	dir := t.TempDir()
	d := buildSmall(t, Options{GroupBy: "generation.strategy", Examples: 3, Bins: 10})
	var buf bytes.Buffer
	if err := WriteHTML(&buf, d); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--screenshot="+shot, "--window-size=1000,2400", "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1000 || b.Dy() != 2400 {
		t.Errorf("screenshot %v, want 1000×2400", b)
	}
	inked, bars, marks := 0, 0, 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b := rgb(img, x, y)
			if r < 200 || g < 200 || b < 200 {
				inked++
			}
			if near(r, g, b, 0x4a, 0x78, 0xc2) { // svg .bar
				bars++
			}
			if near(r, g, b, 0xff, 0xd9, 0xa8) { // mark.loop
				marks++
			}
		}
	}
	t.Logf("inked %d, bar %d, highlight %d pixels", inked, bars, marks)
	if inked < 5000 {
		t.Errorf("screenshot looks blank: %d dark pixels", inked)
	}
	// Bars of full height (85 units) and 0.1 of 274 wide: at least a few
	// hundred pixels each; the highlighted loop a line of text.
	if bars < 1000 {
		t.Errorf("histogram bars not drawn: %d pixels of the bar colour", bars)
	}
	if marks < 200 {
		t.Errorf("loop highlight not drawn: %d pixels of its colour", marks)
	}
}

func rgb(img image.Image, x, y int) (r, g, b int) {
	R, G, B, _ := img.At(x, y).RGBA()
	return int(R >> 8), int(G >> 8), int(B >> 8)
}

func near(r, g, b, R, G, B int) bool {
	d := func(a, b int) int { return max(a-b, b-a) }
	return d(r, R) <= 6 && d(g, G) <= 6 && d(b, B) <= 6
}
