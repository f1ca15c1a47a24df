package templates

import (
	"html"
	"strings"
	"time"

	// Recipients' time zones must resolve in a container without
	// /usr/share/zoneinfo too; a wrong lift time would break an embargo.
	_ "time/tzdata"
)

// zoneTimes are the lift times as one time zone reads them, in both part
// kinds; all empty for readers in UTC, who see the UTC line only.
type zoneTimes struct {
	text, html [2]string // lift, previous lift
}

// maxZones bounds each Prepared's cache: there are about 600 IANA zones,
// and a bogus value from bad data must not grow the cache without end.
const maxZones = 1024

// utcNames are the zones that are UTC by definition: their readers would
// see the UTC time twice.
var utcNames = map[string]bool{
	"": true, "UTC": true, "Etc/UTC": true, "Etc/UCT": true, "UCT": true, "Universal": true,
	"Etc/Universal": true, "Zulu": true, "Etc/Zulu": true, "GMT": true, "Etc/GMT": true,
	"Etc/GMT0": true, "Etc/GMT+0": true, "Etc/GMT-0": true, "GMT0": true, "Greenwich": true, "Etc/Greenwich": true,
}

var noZone = &zoneTimes{}

// zone returns the lift times for a recipient's IANA time zone, computed
// once per zone and Prepared. An unknown zone reads as UTC: the UTC time is
// always shown, so nobody is misled about the lift.
func (p *Prepared) zone(name string) *zoneTimes {
	if !p.zoned || utcNames[name] {
		return noZone
	}
	if z, ok := p.zones.Load(name); ok {
		return z.(*zoneTimes)
	}
	z := p.computeZone(name)
	if p.zoneCount.Load() < maxZones {
		if _, loaded := p.zones.LoadOrStore(name, z); !loaded {
			p.zoneCount.Add(1)
		}
	}
	return z
}

func (p *Prepared) computeZone(name string) *zoneTimes {
	// "Local" would be this server's zone, not the recipient's.
	if name == "Local" {
		return noZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return noZone
	}
	z := &zoneTimes{}
	for i, t := range [2]time.Time{p.lift, p.previousLift} {
		if t.IsZero() {
			continue
		}
		local := p.labels.dateTime(t.In(loc))
		label := strings.ReplaceAll(loc.String(), "_", " ")
		z.text[i] = local + " (" + p.labels.Isolate.Before + label + p.labels.Isolate.After + ")"
		// The zone name is Latin script: isolated, it keeps its place and
		// its parentheses the right way round inside Arabic text.
		z.html[i] = html.EscapeString(local) + ` (<bdi dir="ltr">` + html.EscapeString(label) + `</bdi>)`
	}
	return z
}
