package fluxoperator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// ownProcesses returns the pids of this test binary's descendants (kwok's execs, the
// emulation's brokers) whose argv contains every one of words. The faults below end
// processes this test started, found by their ancestry, never by name alone.
func ownProcesses(t *testing.T, words ...string) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	parent := map[int]int{}
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // gone since the glob
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		pid, err1 := strconv.Atoi(filepath.Base(filepath.Dir(f)))
		ppid, err2 := strconv.Atoi(fields[1])
		if err1 == nil && err2 == nil {
			parent[pid] = ppid
		}
	}
	self := os.Getpid()
	var out []int
	for pid := range parent {
		if !descends(parent, pid, self) {
			continue
		}
		argv, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err != nil {
			continue
		}
		all := true
		for _, w := range words {
			all = all && bytes.Contains(argv, []byte(w))
		}
		if all {
			out = append(out, pid)
		}
	}
	return out
}

func descends(parent map[int]int, pid, ancestor int) bool {
	for range len(parent) {
		ppid, ok := parent[pid]
		if !ok || ppid <= 1 {
			return false
		}
		if ppid == ancestor {
			return true
		}
		pid = ppid
	}
	return false
}

// sendSignal sends sig to each pid, ignoring the ones already gone.
func sendSignal(t *testing.T, pids []int, sig syscall.Signal) {
	t.Helper()
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH {
			t.Fatalf("kill %d: %v", pid, err)
		}
	}
}
