package replay

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// chromiumTimeout bounds one headless chromium run; a render takes a second or two.
const chromiumTimeout = 90 * time.Second

// chromiumFlags keep a headless chromium off the network and away from any profile.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// findChromium is Debian's chromium. CI sets FLUXSCALE_REQUIRE_CHROMIUM=1 after installing
// it, so a missing browser fails there instead of skipping.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("FLUXSCALE_REQUIRE_CHROMIUM") != "" {
		t.Fatal("chromium is not on PATH but FLUXSCALE_REQUIRE_CHROMIUM is set: install it (apt-get install -y chromium)")
	}
	t.Skip("chromium is not on PATH and could not be installed here: apt-get install -y chromium to run the browser test")
	return ""
}

// runChromium runs chromium headless on url with extra flags and returns its stdout. The
// browser and its helper processes run in their own process group, which is killed when
// the run ends, whether it succeeded, failed or timed out.
func runChromium(t *testing.T, bin string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir())
	cmd := exec.CommandContext(ctx, bin, append(args, extra...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Start()
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()
	if err := cmd.Wait(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("chromium did not finish within %s\nstderr:\n%s", chromiumTimeout, stderr.String())
		}
		t.Fatalf("chromium %v: %v\nstderr:\n%s", extra, err, stderr.String())
	}
	return stdout.Bytes()
}

// TestReportRendersInChromium renders the HTML report in a real browser and checks what
// its script drew: every chart has one mark per replay (points, lines, panels) and the
// screenshot is not blank.
func TestReportRendersInChromium(t *testing.T) {
	bin := findChromium(t)
	rep, results := replayForReport(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := WriteHTML(&b, rep, results, Window{}, "fluxscale simulate --trace gen.swf"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := runChromium(t, bin, "--dump-dom", "file://"+path)
	if m := regexp.MustCompile(`data-error="([^"]*)"`).FindSubmatch(dom); m != nil {
		t.Fatalf("the report's script failed in chromium: %s", m[1])
	}
	if !bytes.Contains(dom, []byte(`data-rendered="true"`)) {
		t.Fatalf("the report's script never finished: no data-rendered=\"true\" in the DOM:\n%.2000s", dom)
	}
	n := len(rep.Policies)
	want := map[string]int{"frontier": n, "cdf": len(results), "timeline": 4 * len(results)}
	for id, w := range want {
		if got := marks(t, dom, id); got != w {
			t.Errorf("chart %s drew %d marks, want %d", id, got, w)
		}
	}
	// Each replay has busy time and some idle time: at least two segments per bar.
	if got := marks(t, dom, "breakdown"); got < 2*n {
		t.Errorf("the breakdown drew %d bar segments, want at least %d", got, 2*n)
	}
	if got := bytes.Count(dom, []byte(`class="point"`)); got != n {
		t.Errorf("the frontier has %d points in the DOM, want %d", got, n)
	}

	shot := filepath.Join(dir, "report.png")
	if d := os.Getenv("FLUXSCALE_SCREENSHOT_DIR"); d != "" {
		shot = filepath.Join(d, "report-browser-test.png")
	}
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1150,2600", "--hide-scrollbars", "file://"+path)
	if colors := distinctColors(t, shot); colors < 8 {
		t.Errorf("the screenshot %s has %d distinct colors, want at least 8 (charts drawn)", shot, colors)
	}
}

// marks reads the data-marks the script set on the chart with id.
func marks(t *testing.T, dom []byte, id string) int {
	t.Helper()
	m := regexp.MustCompile(`id="` + id + `"[^>]*data-marks="(\d+)"`).FindSubmatch(dom)
	if m == nil {
		t.Errorf("chart %s has no data-marks: the script did not draw it", id)
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// distinctColors counts the colors of a PNG, up to 1000.
func distinctColors(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	seen := map[[4]uint32]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y && len(seen) < 1000; y += 3 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 3 {
			r, g, b, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, b, a}] = true
		}
	}
	return len(seen)
}
