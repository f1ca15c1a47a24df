// Package users holds the people who run the press office and their
// powers: users with a role, API tokens owned by a user, one-time sign-in
// and reset links, and sign-in throttling. Every secret is kept only as a
// hash.
package users

import (
	"fmt"
	"slices"

	"github.com/communique/communique"
)

// Role is what a user or a token may do. Roles are ordered: each may do
// everything the ones below it may.
type Role string

// The roles, lowest first.
const (
	Viewer       Role = "viewer"
	PressOfficer Role = "press_officer"
	Editor       Role = "editor"
	Admin        Role = "admin"
)

// Roles lists the roles, lowest first.
var Roles = []Role{Viewer, PressOfficer, Editor, Admin}

// Right is something a role may do; the table below is the one place that
// says which role has it.
type Right string

// The rights.
const (
	// ReadReleases: releases, their reports, deliveries, audience and audit.
	ReadReleases Right = "read releases"
	// ReadContacts: contacts, regions, topics and the suppression list.
	ReadContacts Right = "read contacts"
	// WriteReleases: write and edit drafts, preview, test-send, submit
	// for clearance, and publish when clearance is off.
	WriteReleases Right = "write releases"
	// ManageContacts: create, edit, import and delete contacts.
	ManageContacts Right = "manage contacts"
	// ClearReleases: clear or return a submitted release, and lift,
	// postpone, recall and correct a published one.
	ClearReleases Right = "clear releases"
	// Administer: users, tokens of others, settings, templates,
	// taxonomy and suppressions.
	Administer Right = "administer"
)

// need is the lowest role with each right.
var need = map[Right]Role{
	ReadReleases:   Viewer,
	ReadContacts:   Viewer,
	WriteReleases:  PressOfficer,
	ManageContacts: PressOfficer,
	ClearReleases:  Editor,
	Administer:     Admin,
}

// Rights lists every right with the lowest role that has it, in the
// order of the roles.
func Rights() []struct {
	Right Right
	Role  Role
} {
	var out []struct {
		Right Right
		Role  Role
	}
	for _, r := range Roles {
		for _, right := range []Right{ReadReleases, ReadContacts, WriteReleases, ManageContacts, ClearReleases, Administer} {
			if need[right] == r {
				out = append(out, struct {
					Right Right
					Role  Role
				}{right, r})
			}
		}
	}
	return out
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

func (r Role) level() int { return slices.Index(Roles, r) }

// AtLeast reports whether r is o or above it.
func (r Role) AtLeast(o Role) bool { return r.Valid() && r.level() >= o.level() }

// Can reports whether r has the right.
func (r Role) Can(right Right) bool {
	min, ok := need[right]
	return ok && r.AtLeast(min)
}

// Need returns the lowest role with the right.
func Need(right Right) Role { return need[right] }

// ParseRole checks a role named by a user.
func ParseRole(field, s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", communique.Invalid("invalid role", []string{fmt.Sprintf("%s: %q is not a role (want admin, editor, press_officer or viewer)", field, s)})
	}
	return r, nil
}

// Principal is who is acting: a user signed in, a user's token, or the
// bootstrap token of the configuration.
type Principal struct {
	UserID    int64  `json:"user_id,omitempty"`
	Email     string `json:"email,omitempty"`
	Name      string `json:"name,omitempty"`
	Role      Role   `json:"role"`
	TokenID   int64  `json:"token_id,omitempty"`
	TokenName string `json:"token_name,omitempty"`
	// Epoch is the user's session epoch when the session began.
	Epoch int `json:"-"`
}

// Bootstrap is the principal of COMMUNIQUE_ADMIN_TOKEN.
var Bootstrap = Principal{Role: Admin}

// Actor names the principal in the audit log: "user:EMAIL",
// "token:NAME" or "bootstrap".
func (p Principal) Actor() string {
	switch {
	case p.TokenName != "":
		return "token:" + p.TokenName
	case p.Email != "":
		return "user:" + p.Email
	default:
		return "bootstrap"
	}
}

// Can reports whether the principal has the right.
func (p Principal) Can(right Right) bool { return p.Role.Can(right) }

// Require returns a forbidden error naming the role needed, unless the
// principal has the right.
func (p Principal) Require(right Right) error {
	if p.Can(right) {
		return nil
	}
	return communique.Errorf(communique.EFORBIDDEN, "forbidden: %s needs the %s role (you are %s)", right, Need(right), p.Role)
}
