package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Workspace confines file operations to one directory. Every path is walked one component at a
// time with openat(O_NOFOLLOW) from a descriptor of the workspace root, so no component is ever
// looked up outside a directory already known to be inside. A symbolic link met on the way is
// resolved by hand: its target (absolute targets must name the workspace) is joined to the
// directories walked so far and the walk restarts from the root; a target that leaves the
// workspace is refused (errEscapes). Nothing is opened through a link that points out, even
// if another process swaps links while the walk runs.
type Workspace struct {
	root  string // as configured, cleaned
	real  string // root with its own symlinks resolved
	tmpID atomic.Uint64
}

var (
	errEscapes  = errors.New("resolves outside the workspace")
	errBadPath  = errors.New("bad path")
	errTooLarge = errors.New("too large")
	errIsRoot   = errors.New("is the workspace itself")
)

// NewWorkspace checks that root is a directory.
func NewWorkspace(root string) (*Workspace, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("--workspace %s: must be an absolute path", root)
	}
	clean := filepath.Clean(root)
	real, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return nil, fmt.Errorf("--workspace: %w", err)
	}
	if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("--workspace %s: not a directory", root)
	}
	return &Workspace{root: clean, real: real}, nil
}

// Abs is the path as the sandbox names it.
func (w *Workspace) Abs(rel string) string {
	if rel == "" {
		return w.root
	}
	return w.root + "/" + rel
}

// CheckRel says why rel (a path relative to the workspace, already percent-decoded) is refused,
// or "" when it is acceptable. allowRoot admits "" and "." (the workspace itself).
func CheckRel(rel string, allowRoot bool) string {
	if allowRoot && (rel == "" || rel == "." || rel == "./") {
		return ""
	}
	if rel == "" {
		return "a file path under the workspace is required"
	}
	if len(rel) > 4096 {
		return "path longer than 4096 bytes"
	}
	if strings.HasPrefix(rel, "/") {
		return "path must be relative to the workspace"
	}
	for i := 0; i < len(rel); i++ {
		if rel[i] < 0x20 || rel[i] == 0x7f {
			return "path must not contain control characters (NUL included)"
		}
	}
	trimmed := rel
	if allowRoot {
		trimmed = strings.TrimSuffix(rel, "/")
	} else if strings.HasSuffix(rel, "/") {
		return "path must name a file, not end with '/'"
	}
	for _, seg := range strings.Split(trimmed, "/") {
		switch seg {
		case "..":
			return "path must not contain '..' (traversal out of the workspace)"
		case ".":
			return "path must not contain '.' segments"
		case "":
			return "path must not contain empty segments ('//')"
		}
	}
	return ""
}

func splitRel(rel string) []string {
	rel = strings.Trim(rel, "/")
	if rel == "" || rel == "." {
		return nil
	}
	return strings.Split(rel, "/")
}

const maxSymlinkHops = 40

// walk resolves rel. With follow, it returns a descriptor of the object rel names (opened read-only,
// non-blocking, following links that stay inside) and name "". Without, it returns a descriptor of
// the parent directory and the last component (not followed; "" when rel names the root). With
// mkdir, missing parent directories are created. The caller closes the descriptor.
func (w *Workspace) walk(rel string, follow, mkdir bool) (int, string, error) {
	comps := splitRel(rel)
	hops := 0
restart:
	if len(comps) == 0 && follow {
		fd, err := syscall.Open(w.real, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		return fd, "", err
	}
	fd, err := syscall.Open(w.real, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", err
	}
	var walked []string
	for i, c := range comps {
		last := i == len(comps)-1
		if last && !follow {
			return fd, c, nil
		}
		// Directories on the way are opened O_PATH: searchable without read permission.
		flags := oPath | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
		if last {
			// a FIFO must not block the open
			flags = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
		}
		nfd, err := openat(fd, c, flags)
		if err == syscall.ENOENT && mkdir && !last {
			if err = syscall.Mkdirat(fd, c, 0o755); err == nil || err == syscall.EEXIST {
				nfd, err = openat(fd, c, flags)
			}
		}
		if err == syscall.ELOOP || err == syscall.ENOTDIR {
			if target, lerr := readlinkat(fd, c); lerr == nil {
				syscall.Close(fd)
				if hops++; hops > maxSymlinkHops {
					return -1, "", syscall.ELOOP
				}
				next, perr := w.linkTarget(walked, target)
				if perr != nil {
					return -1, "", perr
				}
				comps = append(next, comps[i+1:]...)
				goto restart
			}
		}
		syscall.Close(fd)
		if err != nil {
			return -1, "", err
		}
		fd = nfd
		walked = append(walked, c)
	}
	return fd, "", nil
}

// linkTarget turns a link found in directory walked (relative to the root) into components
// relative to the root, or errEscapes.
func (w *Workspace) linkTarget(walked []string, target string) ([]string, error) {
	if strings.HasPrefix(target, "/") {
		t := path.Clean(target)
		for _, root := range []string{w.root, w.real} {
			if t == root {
				return nil, nil
			}
			if strings.HasPrefix(t, root+"/") {
				return splitRel(t[len(root)+1:]), nil
			}
		}
		return nil, errEscapes
	}
	p := path.Clean(path.Join(append(append([]string{}, walked...), target)...))
	if p == ".." || strings.HasPrefix(p, "../") {
		return nil, errEscapes
	}
	return splitRel(p), nil
}

// Open opens the file or directory rel names, following links that stay inside.
func (w *Workspace) Open(rel string) (*os.File, error) {
	fd, _, err := w.walk(rel, true, false)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), w.Abs(rel)), nil
}

// WriteAtomic writes r to rel: into a hidden temporary file in the target's directory, renamed
// over the target once complete, so a reader sees the old content or the new, never a part. The
// target must not be a directory or a symbolic link. More than limit bytes → errTooLarge and
// nothing changed. Returns the bytes written.
func (w *Workspace) WriteAtomic(rel string, r io.Reader, limit int64) (int64, error) {
	dir, name, err := w.walk(rel, false, true)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(dir)
	if name == "" {
		return 0, errIsRoot
	}
	mode := uint32(0o644)
	var st syscall.Stat_t
	switch err := lstatAt(dir, name, &st); {
	case err == nil && st.Mode&syscall.S_IFMT == syscall.S_IFLNK:
		return 0, errEscapes
	case err == nil && st.Mode&syscall.S_IFMT == syscall.S_IFDIR:
		return 0, syscall.EISDIR
	case err == nil && st.Mode&syscall.S_IFMT != syscall.S_IFREG:
		return 0, syscall.EINVAL
	case err == nil:
		mode = st.Mode & 0o7777
	case err != syscall.ENOENT:
		return 0, err
	}
	tmp := fmt.Sprintf(".%s.agent-%d-%d.tmp", truncateName(name), os.Getpid(), w.tmpID.Add(1))
	tfd, err := openat(dir, tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, mode)
	if err != nil {
		return 0, err
	}
	f := os.NewFile(uintptr(tfd), tmp)
	_ = f.Chmod(os.FileMode(mode)) // umask off
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = errTooLarge
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syscall.Renameat(dir, tmp, dir, name)
	}
	if err != nil {
		_ = syscall.Unlinkat(dir, tmp)
		return 0, err
	}
	return n, nil
}

func truncateName(name string) string {
	if len(name) > 64 {
		return name[:64]
	}
	return name
}

// Remove deletes rel (a directory with everything in it). The last component is not followed:
// a link is removed, not its target.
func (w *Workspace) Remove(rel string) error {
	dir, name, err := w.walk(rel, false, false)
	if err != nil {
		return err
	}
	defer syscall.Close(dir)
	if name == "" {
		return errIsRoot
	}
	return removeAt(dir, name, 0)
}

func removeAt(dir int, name string, depth int) error {
	err := unlinkat(dir, name, 0)
	if err != syscall.EISDIR && err != syscall.EPERM {
		return err
	}
	if depth > 256 {
		return syscall.ELOOP
	}
	fd, err := openat(dir, name, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC)
	if err != nil {
		return err
	}
	d := os.NewFile(uintptr(fd), name)
	defer d.Close()
	for {
		names, rerr := d.Readdirnames(1024)
		for _, n := range names {
			if err := removeAt(fd, n, depth+1); err != nil && err != syscall.ENOENT {
				return err
			}
		}
		if rerr != nil {
			break
		}
	}
	return unlinkat(dir, name, atRemovedir)
}

// Entry is one directory entry as listed (the entry itself, links not followed).
type Entry struct {
	Name    string
	Type    string // file, directory, symlink, other
	Size    int64
	ModTime time.Time
}

// List reads the directory rel names (following links that stay inside), at most max entries.
func (w *Workspace) List(rel string, max int) ([]Entry, bool, error) {
	f, err := w.Open(rel)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if !fi.IsDir() {
		return nil, false, syscall.ENOTDIR
	}
	fd := int(f.Fd())
	var out []Entry
	for {
		names, rerr := f.Readdirnames(1024)
		for _, n := range names {
			if len(out) >= max {
				return out, true, nil
			}
			var st syscall.Stat_t
			if err := lstatAt(fd, n, &st); err != nil {
				continue // gone meanwhile
			}
			e := Entry{Name: n, Size: st.Size, ModTime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec)}
			switch st.Mode & syscall.S_IFMT {
			case syscall.S_IFREG:
				e.Type = "file"
			case syscall.S_IFDIR:
				e.Type = "directory"
			case syscall.S_IFLNK:
				e.Type = "symlink"
			default:
				e.Type = "other"
			}
			out = append(out, e)
		}
		if rerr != nil {
			break
		}
	}
	return out, false, nil
}

const (
	oPath       = 0x200000
	atRemovedir = 0x200
)

func openat(dir int, name string, flags int, mode ...uint32) (int, error) {
	m := uint32(0)
	if len(mode) > 0 {
		m = mode[0]
	}
	for {
		fd, err := syscall.Openat(dir, name, flags, m)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// lstatAt stats name in dir without following a link (an O_PATH descriptor: portable, unlike
// the per-architecture fstatat numbers).
func lstatAt(dir int, name string, st *syscall.Stat_t) error {
	fd, err := openat(dir, name, oPath|syscall.O_NOFOLLOW|syscall.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	return syscall.Fstat(fd, st)
}

func readlinkat(dir int, name string) (string, error) {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	n, _, errno := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(dir), uintptr(unsafe.Pointer(p)),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	if errno != 0 {
		return "", errno
	}
	return string(buf[:n]), nil
}

func unlinkat(dir int, name string, flags int) error {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	_, _, errno := syscall.Syscall(syscall.SYS_UNLINKAT, uintptr(dir), uintptr(unsafe.Pointer(p)), uintptr(flags))
	if errno != 0 {
		return errno
	}
	return nil
}

// Errors of the file operations, as errno values (fsError maps them to HTTP).
var (
	errIsDir      error = syscall.EISDIR
	errNotDir     error = syscall.ENOTDIR
	errNotRegular error = syscall.EINVAL
)
