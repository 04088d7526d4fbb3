package main

import (
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
)

// Reaper is the one place that waits for child processes. Every child the agent starts goes through
// Start; a single goroutine reaps with wait4(-1) on SIGCHLD and hands each status to the child's
// channel. Reaping with -1 also collects orphans re-parented to the agent when it is PID 1 (or a
// child subreaper), so no zombie accumulates. Nothing else in the process may call wait.
type Reaper struct {
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
}

var (
	reaperOnce sync.Once
	theReaper  *Reaper
)

// NewReaper returns the process's one reaper, starting its goroutine on first use (two would race
// for the same children).
func NewReaper() *Reaper {
	reaperOnce.Do(func() {
		r := &Reaper{waiters: make(map[int]chan syscall.WaitStatus)}
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGCHLD)
		go func() {
			for range sig {
				r.reap()
			}
		}()
		theReaper = r
	})
	return theReaper
}

// Start starts cmd (never call cmd.Wait afterwards); the channel receives its wait status once.
func (r *Reaper) Start(cmd *exec.Cmd) (<-chan syscall.WaitStatus, error) {
	// Held across the fork: the child cannot be reaped before it is registered.
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := make(chan syscall.WaitStatus, 1)
	r.waiters[cmd.Process.Pid] = c
	return c, nil
}

func (r *Reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		if c, ok := r.waiters[pid]; ok {
			delete(r.waiters, pid)
			c <- ws
		}
	}
}

// exitCode maps a wait status to a shell-style exit code: 128+n when killed by signal n.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// setChildSubreaper makes orphaned descendants re-parent to this process (PR_SET_CHILD_SUBREAPER).
func setChildSubreaper() {
	const prSetChildSubreaper = 36
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}
