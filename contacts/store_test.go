package contacts_test

import (
	"testing"

	"github.com/communique/communique"
	"github.com/communique/communique/contacts"
)

func TestGetAndList(t *testing.T) {
	t.Parallel()
	ctx, db := setup(t)
	if _, err := contacts.Import(ctx, db, open(t, "good.csv"), contacts.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	amina := getByEmail(t, ctx, db, "amina.diallo@example.org")
	got, err := contacts.Get(ctx, db, amina.ID)
	if err != nil || got.Email != amina.Email || len(got.Regions) != 2 {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := contacts.Get(ctx, db, amina.ID+1000); communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Errorf("Get of a missing id: %v", err)
	}
	if _, err := contacts.GetByEmail(ctx, db, "nobody@example.org"); communique.ErrorCode(err) != communique.ENOTFOUND {
		t.Errorf("GetByEmail of a missing address: %v", err)
	}

	for _, tc := range []struct {
		name   string
		filter contacts.Filter
		emails []string
	}{
		{"all", contacts.Filter{}, []string{"amina.diallo@example.org", "rédaction@exemple.example.org",
			"mission.mauritania@example.net", "press.officer@example.com", "carlos.mendes@example.com"}},
		{"missions", contacts.Filter{Kind: "mission"}, []string{"mission.mauritania@example.net"}},
		{"in MR", contacts.Filter{Country: "mr"}, []string{"amina.diallo@example.org", "mission.mauritania@example.net"}},
		{"journalists in BR", contacts.Filter{Kind: "journalist", Country: "BR", Status: "active"}, []string{"carlos.mendes@example.com"}},
		{"unsubscribed", contacts.Filter{Status: "unsubscribed"}, nil},
		{"first page", contacts.Filter{Limit: 2}, []string{"amina.diallo@example.org", "rédaction@exemple.example.org"}},
		{"next page", contacts.Filter{Limit: 2, AfterID: amina.ID + 1}, []string{"mission.mauritania@example.net", "press.officer@example.com"}},
	} {
		list, err := contacts.List(ctx, db, tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var emails []string
		for _, c := range list {
			emails = append(emails, c.Email)
		}
		if len(emails) != len(tc.emails) || (len(emails) > 0 && emails[0] != tc.emails[0]) || (len(emails) > 1 && emails[len(emails)-1] != tc.emails[len(tc.emails)-1]) {
			t.Errorf("%s: %q, want %q", tc.name, emails, tc.emails)
		}
	}

	_, err = contacts.List(ctx, db, contacts.Filter{Kind: "editor", Country: "XX", Status: "gone", Limit: -1})
	if communique.ErrorCode(err) != communique.EINVALID || len(communique.ErrorDetails(err)) != 4 {
		t.Errorf("bad filter: %v", err)
	}
}
