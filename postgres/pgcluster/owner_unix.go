//go:build unix

package pgcluster

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// owner is the account that owns the cluster's files and runs its
// programs: the current user, or, for root (whom initdb and postgres
// refuse), the cluster directory's owner or the postgres user.
type owner struct {
	cred *syscall.Credential // nil: the current user
	name string
}

// ownerFor picks who runs the cluster in dir.
func ownerFor(dir string) (owner, error) {
	if os.Geteuid() != 0 {
		return owner{}, nil
	}
	// A cluster made by an ordinary user can only be run by that user.
	if fi, err := os.Stat(dir); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
			name := strconv.Itoa(int(st.Uid))
			if u, err := user.LookupId(name); err == nil {
				name = u.Username
			}
			return owner{cred: &syscall.Credential{Uid: st.Uid, Gid: st.Gid}, name: name}, nil
		}
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return owner{}, fmt.Errorf("PostgreSQL refuses to run as root, and there is no postgres user to run it as (%w): run dev as an ordinary user, or create the user (useradd --system postgres)", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return owner{}, fmt.Errorf("user postgres has ids %q and %q", u.Uid, u.Gid)
	}
	return owner{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, name: "postgres"}, nil
}

// command runs a program as the owner, in a process group of its own so
// that a Ctrl-C in the terminal reaches the service, which then stops the
// cluster in its turn, rather than the server in the middle of shutdown.
func (o owner) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: o.cred}
	return cmd
}

// makeDir creates dir, if missing, for the owner alone (PostgreSQL
// refuses a data directory others can read), and lets the owner reach it.
func (o owner) makeDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	if o.cred == nil {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != o.cred.Uid {
		if err := os.Chown(dir, int(o.cred.Uid), int(o.cred.Gid)); err != nil {
			return err
		}
	}
	return o.reach(filepath.Dir(dir), log)
}

// reach lets the owner pass through dir and each directory above it:
// root's are often closed to others (/root, a 0700 data directory). It
// adds search permission for others where the owner lacks it, which lets
// them open a path they already know but not list the directory.
func (o owner) reach(dir string, log *slog.Logger) error {
	for {
		fi, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && !o.canSearch(fi.Mode().Perm(), st) {
			if err := os.Chmod(dir, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("let user %s reach the cluster: %w", o.name, err)
			}
			log.Info("allowed others to pass through a directory so that PostgreSQL, run as "+o.name+", reaches its cluster", "dir", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func (o owner) canSearch(perm os.FileMode, st *syscall.Stat_t) bool {
	switch {
	case st.Uid == o.cred.Uid:
		return perm&0o100 != 0
	case st.Gid == o.cred.Gid:
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}
