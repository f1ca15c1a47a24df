package office

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
	"github.com/communique/communique/releases"
	"github.com/communique/communique/templates"
	"github.com/communique/communique/users"
)

// action is something the viewer may do to the release, or may not, and
// then why not.
type action struct {
	Name    string
	Allowed bool
	Why     string
}

// releasePage shows a release: its text, status and clearance, audience,
// the actions open to the viewer, and its delivery.
func (h *Handler) releasePage(w http.ResponseWriter, r *http.Request, u *users.User) {
	id, err := releaseID(r)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	v := h.relView(r, "release_title")
	h.showRelease(w, r, u, id, http.StatusOK, v)
}

// showRelease loads release id into v and renders its page.
func (h *Handler) showRelease(w http.ResponseWriter, r *http.Request, u *users.User, id int64, status int, v *relView) {
	ctx := r.Context()
	rel, err := releases.Get(ctx, h.cfg.DB, id)
	if err != nil {
		h.relFailed(w, r, err)
		return
	}
	v.ReleaseID, v.Rel = id, rel
	if rel.Status == releases.StatusDraft {
		if scripted(r) {
			// The script fetches the count (releaseAudience) once shown.
			v.AudiencePending = true
		} else {
			if v.Audience, err = releases.ReleaseAudience(ctx, h.cfg.DB, rel, templates.MatchLanguage, time.Now()); err != nil {
				h.relFailed(w, r, err)
				return
			}
			v.PublishText = v.publishSentence(rel, v.Audience)
		}
	}
	if v.Progress, err = releases.GetProgress(ctx, h.cfg.DB, id); err != nil {
		h.relFailed(w, r, err)
		return
	}
	v.Actions = h.actions(u, rel, v)
	h.renderRel(w, r, status, "release", v)
}

// clearanceState is the release's clearance, "none" when it has none.
func clearanceState(rel *releases.Release) string {
	if rel.Clearance == nil || rel.Clearance.State == "" {
		return releases.ClearanceNone
	}
	return rel.Clearance.State
}

// actions lists what can be done to rel in its state, each allowed or
// with the reason it is not for this user.
func (h *Handler) actions(u *users.User, rel *releases.Release, v *relView) []action {
	role := func(name string, right users.Right, stateOK bool, why string) action {
		a := action{Name: name, Allowed: true}
		switch {
		case !u.Role.Can(right):
			a.Allowed, a.Why = false, v.T("why_role", v.RoleName(users.Need(right)))
		case !stateOK:
			a.Allowed, a.Why = false, why
		}
		return a
	}
	state := clearanceState(rel)
	var out []action
	switch rel.Status {
	case releases.StatusDraft:
		out = append(out, role("submit", users.WriteReleases, state == releases.ClearanceNone || state == releases.ClearanceReturned, v.T("why_submitted")))
		clear := role("clear", users.ClearReleases, state == releases.ClearanceSubmitted, v.T("why_not_submitted"))
		if clear.Allowed && rel.Clearance != nil && rel.Clearance.Author == actor(u) {
			clear.Allowed, clear.Why = false, v.T("why_author")
		}
		out = append(out, clear)
		out = append(out, role("return", users.ClearReleases, state == releases.ClearanceSubmitted || state == releases.ClearanceCleared, v.T("why_not_submitted")))
		publish := role("publish", users.WriteReleases, !h.cfg.ClearanceRequired || state == releases.ClearanceCleared, v.T("why_not_cleared"))
		if publish.Allowed && nobody(v.Audience) {
			publish.Allowed, publish.Why = false, v.T("why_nobody")
		}
		out = append(out, publish)
		out = append(out, role("delete", users.WriteReleases, true, ""))
	case releases.StatusEmbargoed:
		out = append(out, role("lift", users.ClearReleases, true, ""), role("postpone", users.ClearReleases, true, ""), role("recall", users.ClearReleases, true, ""))
	case releases.StatusPublished:
		out = append(out, role("recall", users.ClearReleases, true, ""))
	}
	return out
}

// publishSentence says in one sentence what publishing now would do.
func (v *relView) publishSentence(rel *releases.Release, a *releases.Audience) string {
	if a.Embargo != nil && rel.EmbargoUntil != nil {
		return v.T("publish_embargoed", v.kinds(a.Embargo.ByKind, true), v.kinds(a.ByKind, false), v.Local(rel.EmbargoUntil))
	}
	return v.T("publish_now", v.kinds(a.ByKind, false))
}

// kinds says how many of each kind of contact, "24 missions and 12
// verified journalists"; nobody is said so.
func (v *relView) kinds(byKind map[string]int, embargo bool) string {
	var parts []string
	for _, k := range []string{contacts.KindMission, contacts.KindJournalist, contacts.KindPressOfficer} {
		n := byKind[k]
		if n == 0 {
			continue
		}
		key := "n_" + k
		if embargo && k == contacts.KindJournalist {
			key = "n_verified"
		}
		if n == 1 {
			key += "_one"
		}
		parts = append(parts, v.T(key, v.Count(n)))
	}
	for k, n := range byKind {
		if n > 0 && k != contacts.KindMission && k != contacts.KindJournalist && k != contacts.KindPressOfficer {
			parts = append(parts, v.Count(n)+" "+k)
		}
	}
	switch len(parts) {
	case 0:
		return v.T("nobody")
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + v.T("and") + parts[len(parts)-1]
}

// Sorted returns a count's keys in order, for stable tables.
func (v *relView) Sorted(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ClearanceOf is the release's clearance state.
func (v *relView) ClearanceOf() string { return clearanceState(v.Rel) }

// EmbargoISO is the lift time for the countdown script, or "".
func (v *relView) EmbargoISO() string {
	if v.Rel == nil || v.Rel.EmbargoUntil == nil {
		return ""
	}
	return v.Rel.EmbargoUntil.UTC().Format(time.RFC3339)
}

// releaseAction does one action on a release and goes back to its page,
// or shows the page again with what stopped it.
func (h *Handler) releaseAction(name string) userHandler {
	return func(w http.ResponseWriter, r *http.Request, u *users.User) {
		id, err := releaseID(r)
		if err != nil {
			h.relFailed(w, r, err)
			return
		}
		ctx, lc, who, pf := r.Context(), h.lifecycle(), actor(u), r.PostForm
		v := h.relView(r, "release_title")
		switch name {
		case "submit":
			err = lc.Submit(ctx, id, who)
		case "clear":
			err = lc.Clear(ctx, id, who, pf.Get("comment"))
		case "return":
			err = lc.Return(ctx, id, who, pf.Get("comment"))
		case "publish":
			if pf.Get("confirm") != "on" {
				v.problem("confirm", "publish_confirm_label", v.T("err_confirm"))
				break
			}
			_, err = lc.Publish(ctx, id, who, releases.PublishOptions{PublishNow: pf.Get("publish_now") == "on"})
		case "delete":
			if pf.Get("confirm") != "on" {
				v.problem("confirm-delete", "delete_confirm_label", v.T("err_confirm"))
				break
			}
			if err = lc.Delete(ctx, id, who); err == nil {
				h.flash(ctx, "flash_deleted", "")
				http.Redirect(w, r, "/office/releases", http.StatusSeeOther)
				return
			}
		case "lift":
			err = lc.Lift(ctx, id, who)
		case "postpone":
			t, perr := parseLocal(strings.TrimSpace(pf.Get("embargo_until")), v.loc)
			if perr != nil {
				v.problem("postpone-until", "editor_embargo_until", v.T("err_datetime"))
				break
			}
			err = lc.Postpone(ctx, id, t, who)
		case "recall":
			if pf.Get("confirm") != "on" {
				v.problem("confirm-recall", "recall_confirm_label", v.T("err_confirm"))
				break
			}
			err = lc.Recall(ctx, id, pf.Get("reason"), who)
		}
		status := http.StatusOK
		switch {
		case len(v.problems) > 0:
			status = http.StatusUnprocessableEntity
		case err != nil:
			code := communique.ErrorCode(err)
			if code != communique.EINVALID && code != communique.ECONFLICT {
				h.relFailed(w, r, err)
				return
			}
			status = communique.HTTPStatus(code)
			v.Error = communique.ErrorMessage(err)
		default:
			h.log.Info("release "+name, "release_id", id, "actor", who)
			h.flash(ctx, "flash_"+name, "")
			http.Redirect(w, r, "/office/releases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return
		}
		h.showRelease(w, r, u, id, status, v)
	}
}

// RecallText says, before a recall is confirmed, who it reaches: those
// who received a version of the release, and nobody else.
func (v *relView) RecallText() string {
	received := 0
	if v.Progress != nil {
		for _, d := range v.Progress.Dispatches {
			if d.Variant == templates.VariantPublic || d.Variant == templates.VariantEmbargoed {
				received += d.ByStatus["sent"]
			}
		}
	}
	switch received {
	case 0:
		return v.T("recall_reach_none")
	case 1:
		return v.T("recall_reach_one")
	}
	return v.T("recall_reach", v.Count(received))
}
