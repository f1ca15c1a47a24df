//go:build !unix

package pgcluster

import (
	"errors"
	"log/slog"
	"os/exec"
)

// owner stands for the current user where a private cluster cannot be
// run: its methods say so.
type owner struct{ name string }

var errUnsupported = errors.New("a private PostgreSQL cluster runs on Unix only: set COMMUNIQUE_DATABASE_URL to a server")

func ownerFor(string) (owner, error) { return owner{}, errUnsupported }

func (o owner) command(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }

func (o owner) makeDir(string, *slog.Logger) error { return errUnsupported }
