// Command agent-sandbox-agent is the in-sandbox agent: a small HTTP server that runs commands and
// serves files inside one sandbox, over a unix socket and/or TCP. It can also be the sandbox's init
// process, wrapping the container's own command (see README.md).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// version is set at build time with -ldflags '-X main.version=...'.
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// listenFlag collects repeated --listen values.
type listenFlag []string

func (l *listenFlag) String() string     { return strings.Join(*l, ",") }
func (l *listenFlag) Set(v string) error { *l = append(*l, v); return nil }

// parseFlags reads the command line; args after "--" (or the first non-flag) are the command.
func parseFlags(args []string, stderr io.Writer) (Config, []string, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("agent-sandbox-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var listen listenFlag
	var socketMode string
	fs.Var(&listen, "listen", "where to serve: unix:/path/agent.sock or tcp:host:port (repeatable)")
	fs.StringVar(&cfg.Workspace, "workspace", cfg.Workspace, "directory the file APIs are confined to, and the default working directory")
	fs.StringVar(&cfg.SecretFile, "secret-file", "", "file holding the per-sandbox secret (Authorization: Bearer <secret>)")
	fs.StringVar(&cfg.SecretEnv, "secret-env", cfg.SecretEnv, "environment variable holding the secret when --secret-file is not given (removed from the environment commands see)")
	fs.BoolVar(&cfg.AllowOpenTCP, "allow-unauthenticated-tcp", false, "serve TCP listeners without a secret (refused otherwise)")
	fs.StringVar(&socketMode, "socket-mode", "0600", "file mode of unix sockets (octal)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "largest exec request body (JSON incl. stdin); larger gets 413")
	fs.Int64Var(&cfg.MaxFileBytes, "max-file-bytes", cfg.MaxFileBytes, "largest file uploaded or downloaded; larger gets 413")
	fs.IntVar(&cfg.MaxOutputBytes, "max-output-bytes", cfg.MaxOutputBytes, "bytes of stdout and of stderr kept per command (the rest is drained and flagged truncated)")
	fs.IntVar(&cfg.MaxExecs, "max-execs", cfg.MaxExecs, "commands running at once; more get 503 with Retry-After")
	fs.DurationVar(&cfg.DefaultTimeout, "default-timeout", cfg.DefaultTimeout, "timeout of a command that names none")
	fs.DurationVar(&cfg.MaxTimeout, "max-timeout", cfg.MaxTimeout, "largest timeout a command may ask for")
	fs.DurationVar(&cfg.ExecuteTimeout, "execute-timeout", cfg.ExecuteTimeout, "timeout of upstream POST /execute commands")
	fs.DurationVar(&cfg.HeaderTimeout, "header-timeout", cfg.HeaderTimeout, "time allowed to send the request headers")
	fs.DurationVar(&cfg.BodyIdleTimeout, "body-idle-timeout", cfg.BodyIdleTimeout, "longest pause while sending a request body")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", cfg.BodyTimeout, "time allowed to send a whole request body")
	fs.DurationVar(&cfg.WriteIdleTimeout, "write-idle-timeout", cfg.WriteIdleTimeout, "longest time a client may leave a response write blocked")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "keep-alive connections idle longer are closed")
	fs.IntVar(&cfg.MaxHeaderBytes, "max-header-bytes", cfg.MaxHeaderBytes, "largest request header block; larger gets 431")
	stay := fs.Bool("stay", false, "keep serving after the wrapped command exits")
	fs.StringVar(&cfg.InstallTo, "install-to", "", "copy this binary to the given path (mode 0555) and exit (a Kubernetes init container)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return cfg, nil, err
	}
	if *showVersion {
		fmt.Fprintln(stderr, "agent-sandbox-agent", version)
		os.Exit(0)
	}
	mode, err := strconv.ParseUint(socketMode, 8, 32)
	if err != nil || mode > 0o777 {
		return cfg, nil, fmt.Errorf("--socket-mode %q: want an octal mode like 0600", socketMode)
	}
	cfg.SocketMode = os.FileMode(mode)
	if cfg.MaxBodyBytes < 1024 || cfg.MaxFileBytes < 1 || cfg.MaxOutputBytes < 1 || cfg.MaxExecs < 1 ||
		cfg.MaxHeaderBytes < 4096 || cfg.DefaultTimeout <= 0 || cfg.MaxTimeout < cfg.DefaultTimeout ||
		cfg.ExecuteTimeout <= 0 || cfg.HeaderTimeout <= 0 || cfg.BodyIdleTimeout <= 0 || cfg.BodyTimeout <= 0 {
		return cfg, nil, fmt.Errorf("limits and timeouts must be positive (--max-body-bytes >= 1024, " +
			"--max-header-bytes >= 4096, --max-timeout >= --default-timeout)")
	}
	cfg.Listen = listen
	cfg.Stay = *stay
	return cfg, fs.Args(), nil
}

func run(args []string, stderr io.Writer) int {
	cfg, command, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "agent-sandbox-agent:", err)
		return 2
	}
	if cfg.InstallTo != "" {
		if err := installSelf(cfg.InstallTo); err != nil {
			fmt.Fprintln(stderr, "agent-sandbox-agent:", err)
			return 1
		}
		return 0
	}
	if err := cfg.LoadSecret(); err != nil {
		fmt.Fprintln(stderr, "agent-sandbox-agent:", err)
		return 2
	}
	if len(cfg.Listen) == 0 {
		fmt.Fprintln(stderr, "agent-sandbox-agent: at least one --listen unix:/path or tcp:host:port is required")
		return 2
	}
	pid1 := os.Getpid() == 1
	if len(command) > 0 && !pid1 {
		// Orphans of the wrapped command are re-parented to us and reaped like they would be by init.
		setChildSubreaper()
	}
	reaper := NewReaper()
	srv, err := NewServer(cfg, reaper)
	if err != nil {
		fmt.Fprintln(stderr, "agent-sandbox-agent:", err)
		return 2
	}
	var listeners []net.Listener
	for _, spec := range cfg.Listen {
		l, err := listen(spec, cfg)
		if err != nil {
			for _, o := range listeners {
				o.Close()
			}
			fmt.Fprintln(stderr, "agent-sandbox-agent:", err)
			return 2
		}
		listeners = append(listeners, l)
	}
	hs := srv.HTTPServer()
	for _, l := range listeners {
		go func(l net.Listener) {
			if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintln(stderr, "agent-sandbox-agent: serve:", err)
			}
		}(l)
	}
	fmt.Fprintf(stderr, "agent-sandbox-agent %s: serving %s (workspace %s, auth %s)\n",
		version, strings.Join(cfg.Listen, ", "), cfg.Workspace, authMode(cfg))

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	var child *exec.Cmd
	var childDone <-chan syscall.WaitStatus
	if len(command) > 0 {
		child, childDone, err = startChild(command, cfg, reaper)
		if err != nil {
			fmt.Fprintln(stderr, "agent-sandbox-agent:", err)
			shutdown(hs, srv, listeners)
			return 127
		}
	}
	code := 0
	for {
		select {
		case ws := <-childDone:
			childDone = nil
			child = nil
			code = exitCode(ws)
			if !cfg.Stay {
				shutdown(hs, srv, listeners)
				return code
			}
			fmt.Fprintf(stderr, "agent-sandbox-agent: command exited with %d; still serving (--stay)\n", code)
		case sig := <-sigs:
			if child != nil {
				_ = child.Process.Signal(sig)
				continue
			}
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
				shutdown(hs, srv, listeners)
				return code
			}
		}
	}
}

func authMode(cfg Config) string {
	if len(cfg.Secret) > 0 {
		return "bearer secret"
	}
	return "none (unix socket file mode only)"
}

func startChild(command []string, cfg Config, reaper *Reaper) (*exec.Cmd, <-chan syscall.WaitStatus, error) {
	path, err := lookPath(command[0], os.Getenv("PATH"))
	if err != nil {
		return nil, nil, err
	}
	cmd := &exec.Cmd{Path: path, Args: command, Env: childEnv(cfg, nil),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	done, err := reaper.Start(cmd)
	if err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", command[0], err)
	}
	return cmd, done, nil
}

func shutdown(hs *http.Server, srv *Server, listeners []net.Listener) {
	srv.KillAll()
	hs.SetKeepAlivesEnabled(false)
	for _, l := range listeners {
		l.Close()
	}
	_ = hs.Close()
}

// listen opens one --listen spec.
func listen(spec string, cfg Config) (net.Listener, error) {
	var l net.Listener
	switch {
	case strings.HasPrefix(spec, "unix:"):
		p := strings.TrimPrefix(spec, "unix:")
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("--listen %s: the socket path must be absolute", spec)
		}
		if fi, err := os.Lstat(p); err == nil {
			if fi.Mode()&os.ModeSocket == 0 {
				return nil, fmt.Errorf("--listen %s: %s exists and is not a socket", spec, p)
			}
			_ = os.Remove(p) // a stale socket of a previous run
		}
		ul, err := net.Listen("unix", p)
		if err != nil {
			return nil, fmt.Errorf("--listen %s: %w", spec, err)
		}
		ul.(*net.UnixListener).SetUnlinkOnClose(true)
		if err := os.Chmod(p, cfg.SocketMode); err != nil {
			ul.Close()
			return nil, fmt.Errorf("--listen %s: chmod: %w", spec, err)
		}
		l = ul
	case strings.HasPrefix(spec, "tcp:"):
		if len(cfg.Secret) == 0 && !cfg.AllowOpenTCP {
			return nil, fmt.Errorf("--listen %s: a TCP listener needs a secret (--secret-file or $%s) or --allow-unauthenticated-tcp", spec, cfg.SecretEnv)
		}
		tl, err := net.Listen("tcp", strings.TrimPrefix(spec, "tcp:"))
		if err != nil {
			return nil, fmt.Errorf("--listen %s: %w", spec, err)
		}
		l = tl
	default:
		return nil, fmt.Errorf("--listen %q: want unix:/path or tcp:host:port", spec)
	}
	return &deadlineListener{Listener: l, writeIdle: cfg.WriteIdleTimeout}, nil
}

// deadlineListener gives every write on its connections a deadline: a client that stops reading a
// response for longer than writeIdle loses its connection instead of holding a handler forever.
type deadlineListener struct {
	net.Listener
	writeIdle time.Duration
}

func (l *deadlineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &deadlineConn{Conn: c, writeIdle: l.writeIdle}, nil
}

type deadlineConn struct {
	net.Conn
	writeIdle time.Duration
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if c.writeIdle > 0 {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.writeIdle))
	}
	return c.Conn.Write(b)
}

// CloseWrite lets the server half-close after an error answer (the client then reads the answer
// instead of a reset).
func (c *deadlineConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
