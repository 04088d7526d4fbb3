package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// installSelf copies the running binary to dest (mode 0555) through a temporary file in dest's
// directory and a rename, so a reader never sees a partial binary. It is what the Kubernetes init
// container runs: the agent image holds nothing but this binary, so there is no cp to call.
func installSelf(dest string) error {
	if !filepath.IsAbs(dest) {
		return fmt.Errorf("--install-to %s: must be an absolute path", dest)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("--install-to: cannot find this binary: %w", err)
	}
	in, err := os.Open(self)
	if err != nil {
		return fmt.Errorf("--install-to: %w", err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".agent-install-*")
	if err != nil {
		return fmt.Errorf("--install-to %s: %w", dest, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, in); err != nil {
		return fmt.Errorf("--install-to %s: %w", dest, err)
	}
	if err := tmp.Chmod(0o555); err != nil {
		return fmt.Errorf("--install-to %s: %w", dest, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--install-to %s: %w", dest, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return fmt.Errorf("--install-to %s: %w", dest, err)
	}
	ok = true
	return nil
}
