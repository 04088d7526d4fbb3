package main

import (
	"os"
	"os/exec"
)

func newCmd(path string, args []string, stdout, stderr *os.File) *exec.Cmd {
	return &exec.Cmd{Path: path, Args: append([]string{path}, args...), Env: append(os.Environ(), "AGENT_TEST_MAIN=1"),
		Stdout: stdout, Stderr: stderr}
}
