package templates

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
)

// WithDraft returns ov with src as the override of message in lang, as
// if it were saved: checked as SaveOverride checks it, and stored
// nowhere. It lets an administrator preview a template against a real
// release before saving it. A problem is SaveOverride's EINVALID error.
func (ov Overrides) WithDraft(ctx context.Context, message, lang string, src Source) (Overrides, error) {
	message, lang, err := ParseKey(message, lang)
	if err != nil {
		return Overrides{}, err
	}
	if err := CheckOverride(ctx, message, lang, src); err != nil {
		return Overrides{}, err
	}
	mt, err := compile(message, src)
	if err != nil {
		return Overrides{}, err
	}
	mt.lang = lang
	sets := maps.Clone(ov.sets)
	if sets == nil {
		sets = map[overrideKey]*messageTemplates{}
	}
	sets[overrideKey{message, lang}] = mt
	ov.sets = sets
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %q %q\n", message, lang, src.Subject, src.Text, src.HTML)
	ov.key += "+draft:" + hex.EncodeToString(h.Sum(nil)[:12])
	return ov, nil
}
