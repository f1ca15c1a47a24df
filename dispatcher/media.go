package dispatcher

import (
	"github.com/communique/communique/media"
	"github.com/communique/communique/templates"
)

// mailMedia is what a message in lang lists of a release's media: each
// file's public address under baseURL, titled by its caption in lang or
// its name. Without a base URL there is no address to give.
func mailMedia(ms []media.Media, lang, baseURL string) []templates.MediaLink {
	if baseURL == "" {
		return nil
	}
	var out []templates.MediaLink
	for i := range ms {
		m := &ms[i]
		title := m.Texts[lang].Caption
		if title == "" {
			title = m.Filename
		}
		out = append(out, templates.MediaLink{Title: title, URL: baseURL + m.Path(media.RenditionOriginal), About: m.About()})
	}
	return out
}
