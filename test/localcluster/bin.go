package localcluster

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// mainModule is the module whose root holds bin/; the tool modules under test/tools have
// their own go.mod, so the walk up must not stop at those.
const mainModule = "github.com/fluxscale/fluxscale"

// BinDir returns the directory holding the binaries built by `make tools`: $FLUXSCALE_BIN if
// set, else bin/ at the root of the fluxscale module (ModuleRoot). It returns "" when neither
// is found. It suits envtest.Environment{BinaryAssetsDirectory: BinDir()} too.
func BinDir() string {
	if dir := os.Getenv("FLUXSCALE_BIN"); dir != "" {
		return dir
	}
	root, err := ModuleRoot()
	if err != nil {
		return ""
	}
	return filepath.Join(root, "bin")
}

// ModuleRoot returns the root of the fluxscale module, found by walking up from the working
// directory (go test runs in the package directory, go run where it is started).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	for {
		if isMainModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s above the working directory: run from inside the repository", mainModule)
		}
		dir = parent
	}
}

func isMainModule(goMod string) bool {
	f, err := os.Open(goMod)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) == 2 && fields[0] == "module" {
			return fields[1] == mainModule
		}
	}
	return false
}

// checkBinaries returns the binary paths, or an error telling the user how to build them.
func checkBinaries(dir string) (map[string]string, error) {
	if dir == "" {
		return nil, fmt.Errorf("cannot find bin/ of module %s from the working directory: run `make tools` at the repo root, or set FLUXSCALE_BIN", mainModule)
	}
	paths := map[string]string{}
	var missing []string
	for _, name := range []string{"etcd", "kube-apiserver", "kube-controller-manager", "kwok"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, name)
		}
		paths[name] = p
	}
	stages := filepath.Join(dir, "kwok-stages")
	if _, err := os.Stat(stages); err != nil {
		missing = append(missing, "kwok-stages/")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s in %s: run `make tools` at the repo root (or set FLUXSCALE_BIN to a directory holding them)", strings.Join(missing, ", "), dir)
	}
	return paths, nil
}
