package flux

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// podLayout lays out dir as a MiniCluster pod's mount path: flux-view.sh as the operator's
// entrypoint writes it (PATH with the view's bin, fluxsocket), and view/bin/flux. The flux
// there is a stand-in script (a fake: it prints its arguments and FLUX_URI) because this test
// is about the wrapper; test/minicluster's emulation runs the same wrapper against real flux.
type podLayout struct {
	dir    string
	socket string // where flux-view.sh says the socket is; "" leaves fluxsocket unset
}

func (l podLayout) write(t *testing.T) {
	t.Helper()
	bin := filepath.Join(l.dir, "view", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\nprintf 'uri=%s\\n' \"$FLUX_URI\"\nfor a in \"$@\"; do printf 'arg=%s\\n' \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(bin, "flux"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	view := "export PATH=/usr/bin:/bin:" + bin + "\n"
	if l.socket != "" {
		view += "export fluxsocket=local://" + l.socket + "\n"
	}
	if err := os.WriteFile(filepath.Join(l.dir, "flux-view.sh"), []byte(view), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listen creates a unix socket at path, as a broker does.
func listen(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
}

func TestMiniClusterRunnerFindsTheSocketOfEachOperatorVersion(t *testing.T) {
	for _, tt := range []struct {
		name     string
		view     string // relative socket path flux-view.sh names
		listenAt string // relative path of the socket that exists
	}{
		{name: "current operator", view: "config/run/flux/local", listenAt: "config/run/flux/local"},
		{name: "disableSocket", view: "config/run/flux/local", listenAt: "config/run/flux/local-0"},
		{name: "0.2.1 and older", view: "view/run/flux/local", listenAt: "view/run/flux/local"},
		{name: "no fluxsocket in flux-view.sh", listenAt: "view/run/flux/local-0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A short directory: a unix socket path must fit in 108 bytes.
			dir, err := os.MkdirTemp("", "mnt")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			l := podLayout{dir: dir}
			if tt.view != "" {
				l.socket = filepath.Join(dir, tt.view)
			}
			l.write(t)
			listen(t, filepath.Join(dir, tt.listenAt))
			r := MiniClusterRunner{Pod: LocalRunner{}, MountPath: dir, Where: "pod ns/mc-0 container \"mc\""}
			args := []string{"flux", "jobs", "-o", "{id} {state}", "it's $HOME"}
			res, err := r.Run(t.Context(), args)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := "uri=local://" + filepath.Join(dir, tt.listenAt) + "\n"
			for _, a := range args[1:] {
				want += "arg=" + a + "\n"
			}
			if got := string(res.Stdout); got != want {
				t.Errorf("flux saw\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestMiniClusterRunnerSaysWhatIsMissing(t *testing.T) {
	where := `pod ns/mc-0-abc container "mc"`
	for _, tt := range []struct {
		name   string
		layout func(t *testing.T, dir string)
		want   string
	}{
		{
			name:   "no view",
			layout: func(*testing.T, string) {},
			want:   where + ": no %s/flux-view.sh: the operator's entrypoint writes it",
		},
		{
			name: "no socket",
			layout: func(t *testing.T, dir string) {
				podLayout{dir: dir, socket: filepath.Join(dir, "config/run/flux/local")}.write(t)
			},
			want: where + ": no broker socket at local://%s/config/run/flux/local",
		},
		{
			name: "no flux",
			layout: func(t *testing.T, dir string) {
				podLayout{dir: dir}.write(t)
				if err := os.Remove(filepath.Join(dir, "view", "bin", "flux")); err != nil {
					t.Fatal(err)
				}
			},
			want: where + ": flux not found at %s/view/bin/flux",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.layout(t, dir)
			r := MiniClusterRunner{Pod: LocalRunner{}, MountPath: dir, Where: where}
			_, err := r.Run(t.Context(), []string{"flux", "jobs"})
			want := strings.ReplaceAll(tt.want, "%s", dir)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("Run() error = %v, want it to start with %q", err, want)
			}
		})
	}
}

func TestMiniClusterProblemNamesOwnerCredentials(t *testing.T) {
	res := Result{ExitCode: 1, Stderr: []byte("flux-resource: ERROR: Request requires owner credentials\n")}
	if got := MiniClusterProblem(res); !strings.HasPrefix(got, "permission: not the instance owner") {
		t.Errorf("MiniClusterProblem(EPERM) = %q", got)
	}
	// A flux command that failed for its own reasons is left to the client to report.
	res = Result{ExitCode: 1, Stderr: []byte("flux-resource: ERROR: ranks 0-2 not drained\n")}
	if got := MiniClusterProblem(res); got != "" {
		t.Errorf("MiniClusterProblem(flux error) = %q, want none", got)
	}
}
