package templates

import "html"

// greetings are a message's greeting lines around the recipient's name,
// made once per Prepared: Personalize then only places the name between
// them, without building a string per recipient.
//
// In plain text a line is followed by a blank line; in HTML it is a
// paragraph of its own (so that a recipient who is not greeted gets no
// empty one) with the name isolated, so that a name in another script
// keeps its place in the sentence.
type greetings struct {
	text, html               [2]string // before and after the name
	neutralText, neutralHTML string    // when the name is unknown
}

// greetingStyle is the greeting paragraph's style.
const greetingStyle = "margin:0 0 24px 0;"

func newGreetings(l *labels) *greetings {
	open := `<p style="` + greetingStyle + `">`
	return &greetings{
		text:        [2]string{l.Greeting.Before, l.Greeting.After + "\n\n"},
		html:        [2]string{open + html.EscapeString(l.Greeting.Before) + "<bdi>", "</bdi>" + html.EscapeString(l.Greeting.After) + "</p>\n"},
		neutralText: l.GreetingNeutral + "\n\n",
		neutralHTML: open + html.EscapeString(l.GreetingNeutral) + "</p>\n",
	}
}

// set fills the greeting of tv and hv, whose names are set.
func (g *greetings) set(tv, hv *values) {
	if tv.name == "" {
		tv.greeting, hv.greeting = [3]string{g.neutralText}, [3]string{g.neutralHTML}
		return
	}
	tv.greeting = [3]string{g.text[0], tv.name, g.text[1]}
	hv.greeting = [3]string{g.html[0], hv.name, g.html[1]}
}
