// Package metrics defines the service's Prometheus metrics on a registry
// of its own, passed to the parts that record them and served at /metrics.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every metric the service records. Its methods do nothing
// on a nil *Metrics, so parts built without one (in tests) need no checks.
type Metrics struct {
	reg *prometheus.Registry

	deliveries   *prometheus.CounterVec   // outcomes recorded, by status
	messages     *prometheus.CounterVec   // single messages' outcomes, by kind and status
	smtpSend     *prometheus.HistogramVec // one message's SMTP exchange, by outcome
	planned      prometheus.Counter       // deliveries recorded by planners
	events       *prometheus.CounterVec   // outbox events published, by subject
	liftLateness prometheus.Histogram     // lift time minus embargo_until
	http         *prometheus.CounterVec   // requests, by route and status code
}

// New returns the metrics, registered with Go runtime and process metrics.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "communique_deliveries_total", Help: "Delivery outcomes recorded, by status.",
		}, []string{"status"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "communique_messages_total", Help: "Outcomes of single messages (confirmations, resets, test sends…), by kind and status.",
		}, []string{"kind", "status"}),
		smtpSend: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "communique_smtp_send_seconds", Help: "Time of one message's SMTP exchange, by outcome.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"status"}),
		planned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "communique_deliveries_planned_total", Help: "Deliveries recorded by planners.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "communique_events_published_total", Help: "Outbox events published to NATS, by subject.",
		}, []string{"subject"}),
		liftLateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "communique_embargo_lift_lateness_seconds", Help: "Time between embargo_until and the lift.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}),
		http: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "communique_http_requests_total", Help: "HTTP requests, by route and status code.",
		}, []string{"route", "code"}),
	}
	m.reg.MustRegister(m.deliveries, m.messages, m.smtpSend, m.planned, m.events, m.liftLateness, m.http,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Delivered counts n outcomes of status.
func (m *Metrics) Delivered(status string, n int) {
	if m != nil && n > 0 {
		m.deliveries.WithLabelValues(status).Add(float64(n))
	}
}

// SMTPSent observes one message's SMTP exchange.
func (m *Metrics) SMTPSent(status string, d time.Duration) {
	if m != nil {
		m.smtpSend.WithLabelValues(status).Observe(d.Seconds())
	}
}

// Planned counts deliveries recorded by a planner.
func (m *Metrics) Planned(n int64) {
	if m != nil && n > 0 {
		m.planned.Add(float64(n))
	}
}

// EventPublished counts an outbox event published.
func (m *Metrics) EventPublished(subject string) {
	if m != nil {
		m.events.WithLabelValues(subject).Inc()
	}
}

// Lifted observes how late after embargo_until an embargo was lifted.
func (m *Metrics) Lifted(lateness time.Duration) {
	if m != nil {
		m.liftLateness.Observe(lateness.Seconds())
	}
}

// Request counts an HTTP request by its route pattern, not its path, so
// ids and tokens do not multiply the series.
func (m *Metrics) Request(route string, code int) {
	if m != nil {
		m.http.WithLabelValues(route, strconv.Itoa(code)).Inc()
	}
}

// Message counts n outcomes of status for messages of kind (a
// confirmation, a reset, a test send…).
func (m *Metrics) Message(kind, status string, n int) {
	if m != nil && n > 0 {
		m.messages.WithLabelValues(kind, status).Add(float64(n))
	}
}
