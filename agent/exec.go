package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ExecSpec is one command to run.
type ExecSpec struct {
	Argv    []string
	Env     [][2]string // added to the agent's environment, in order
	Dir     string
	Stdin   []byte
	Timeout time.Duration
}

// ExecResult mirrors the Java API's exec answer (field names included).
type ExecResult struct {
	ExitCode        int     `json:"exitCode"`
	Stdout          string  `json:"stdout"`
	Stderr          string  `json:"stderr"`
	StdoutTruncated bool    `json:"stdoutTruncated"`
	StderrTruncated bool    `json:"stderrTruncated"`
	TimedOut        bool    `json:"timedOut"`
	DurationMs      float64 `json:"durationMs"`
}

// OutputFunc receives output chunks as they are read (within the output cap), one call at a time,
// never after Run returns.
type OutputFunc func(stderr bool, chunk []byte)

// errBadWorkdir is returned (wrapped) when the working directory cannot be entered.
var errBadWorkdir = errors.New("bad workdir")

// pipeGrace is how long output pipes are still read after the command exited: a background
// grandchild holding them open does not hold the answer.
const pipeGrace = time.Second

// Run runs spec in its own process group. The whole group is killed with SIGKILL at the timeout
// or when ctx is done (the client went away). A command that cannot be found answers like a shell
// (127, or 126 when not executable); errors are returned only when nothing could be run.
func (s *Server) Run(ctx context.Context, spec ExecSpec, onOut OutputFunc) (ExecResult, error) {
	start := time.Now()
	env := childEnv(s.cfg, spec.Env)
	path, err := lookPath(spec.Argv[0], envValue(env, "PATH"))
	if err != nil {
		code := 127
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EISDIR) {
			code = 126
		}
		msg := fmt.Sprintf("agent-sandbox-agent: %s: %v\n", spec.Argv[0], err)
		if onOut != nil {
			onOut(true, []byte(msg))
		}
		return ExecResult{ExitCode: code, Stderr: msg, DurationMs: ms(time.Since(start))}, nil
	}
	if fi, err := os.Stat(spec.Dir); err != nil || !fi.IsDir() {
		return ExecResult{}, fmt.Errorf("%w: %s is not a directory in the sandbox", errBadWorkdir, spec.Dir)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return ExecResult{}, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return ExecResult{}, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return ExecResult{}, err
	}
	cmd := &exec.Cmd{Path: path, Args: spec.Argv, Env: env, Dir: spec.Dir,
		Stdin: inR, Stdout: outW, Stderr: errW,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
	done, err := s.reaper.Start(cmd)
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		errR.Close()
		code := 126
		if errors.Is(err, syscall.ENOENT) {
			code = 127
		}
		msg := fmt.Sprintf("agent-sandbox-agent: %s: %v\n", spec.Argv[0], err)
		return ExecResult{ExitCode: code, Stderr: msg, DurationMs: ms(time.Since(start))}, nil
	}
	pgid := cmd.Process.Pid
	s.track(pgid, true)
	defer s.track(pgid, false)
	go func() {
		if len(spec.Stdin) > 0 {
			_, _ = inW.Write(spec.Stdin) // EPIPE when the command does not read it: fine
		}
		inW.Close()
	}()

	var mu sync.Mutex // serialises onOut and guards closed
	closed := false
	emit := func(stderr bool, b []byte) {
		if onOut == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !closed {
			onOut(stderr, b)
		}
	}
	out := &capSink{limit: s.cfg.MaxOutputBytes}
	errs := &capSink{limit: s.cfg.MaxOutputBytes}
	var readers sync.WaitGroup
	readers.Add(2)
	go drain(outR, out, false, emit, &readers)
	go drain(errR, errs, true, emit, &readers)

	var timedOut atomic.Bool
	timer := time.AfterFunc(spec.Timeout, func() {
		timedOut.Store(true)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
	var ws syscall.WaitStatus
	select {
	case ws = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		ws = <-done
	}
	timer.Stop()
	duration := time.Since(start)
	readersDone := make(chan struct{})
	go func() { readers.Wait(); close(readersDone) }()
	select {
	case <-readersDone:
	case <-time.After(pipeGrace):
	}
	mu.Lock()
	closed = true
	mu.Unlock()
	outR.Close()
	errR.Close()
	<-readersDone
	code := exitCode(ws)
	return ExecResult{
		ExitCode:        code,
		Stdout:          out.String(),
		Stderr:          errs.String(),
		StdoutTruncated: out.Truncated(),
		StderrTruncated: errs.Truncated(),
		TimedOut:        timedOut.Load(),
		DurationMs:      ms(duration),
	}, nil
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

func drain(r io.Reader, sink *capSink, stderr bool, emit func(bool, []byte), wg *sync.WaitGroup) {
	defer wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if kept := sink.Write(buf[:n]); len(kept) > 0 {
				emit(stderr, kept)
			}
		}
		if err != nil {
			return
		}
	}
}

// capSink keeps the first limit bytes and remembers whether more came.
type capSink struct {
	mu        sync.Mutex
	limit     int
	buf       []byte
	truncated bool
}

// Write keeps what fits and returns it (a copy), for streaming.
func (c *capSink) Write(b []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.limit - len(c.buf)
	if room < 0 {
		room = 0
	}
	keep := len(b)
	if keep > room {
		keep = room
		c.truncated = true
	}
	if keep == 0 {
		return nil
	}
	c.buf = append(c.buf, b[:keep]...)
	return append([]byte(nil), b[:keep]...)
}

func (c *capSink) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}

func (c *capSink) Truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.truncated
}

// childEnv is the agent's environment (without its secret) with extra variables set over it.
func childEnv(cfg Config, extra [][2]string) []string {
	base := os.Environ()
	env := make([]string, 0, len(base)+len(extra))
	idx := make(map[string]int, len(base)+len(extra))
	set := func(k, v string) {
		if i, ok := idx[k]; ok {
			env[i] = k + "=" + v
			return
		}
		idx[k] = len(env)
		env = append(env, k+"="+v)
	}
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if k == cfg.SecretEnv {
			continue
		}
		set(k, v)
	}
	if _, ok := idx["PATH"]; !ok {
		set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	for _, kv := range extra {
		set(kv[0], kv[1])
	}
	return env
}

func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// lookPath finds name in pathEnv like a shell (names with a slash are taken as they are).
func lookPath(name, pathEnv string) (string, error) {
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			return "", err
		}
		return name, nil
	}
	var firstErr error
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := executable(p)
		if err == nil {
			return p, nil
		}
		if firstErr == nil && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENOTDIR) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", fmt.Errorf("command not found")
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return syscall.EISDIR
	}
	return syscall.Access(p, 1) // X_OK
}
