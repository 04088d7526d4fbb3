package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallToCopiesTheBinaryReadOnlyAndExecutable(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "agent-sandbox-agent")
	var stderr bytes.Buffer
	if code := run([]string{"--install-to", dest}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	self, _ := os.Executable()
	want, _ := os.ReadFile(self)
	got, err := os.ReadFile(dest)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("copy differs from the binary (%d vs %d bytes): %v", len(got), len(want), err)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o555 {
		t.Fatalf("mode %v, want 0555", fi.Mode())
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".agent-install-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestInstallToRefusesARelativeOrMissingDirectory(t *testing.T) {
	for _, dest := range []string{"relative/agent", filepath.Join(t.TempDir(), "no", "such", "agent")} {
		var stderr bytes.Buffer
		if code := run([]string{"--install-to", dest}, &stderr); code != 1 {
			t.Fatalf("%s: exit %d, want 1", dest, code)
		}
		if !strings.Contains(stderr.String(), "--install-to") {
			t.Fatalf("%s: %s", dest, stderr.String())
		}
	}
}
