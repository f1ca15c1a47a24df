package templates

import (
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"
)

// An administrator's template runs under a budget. text/template cannot be
// interrupted from outside, so the budget is enforced from inside the
// execution: every template invocation and every range iteration starts
// with a call to stepFunc (inserted into the parse trees by instrument),
// every function the templates may call checks it too, and so does every
// write. The first bound passed, or the caller's context ending, makes the
// next check fail, and text/template stops at the first error. Between two
// checks a template can only do a bounded amount of work: no loop runs
// without a step, and the built-in functions left unchecked (eq, len,
// index, and, or, not) cost a few operations each.
//
// The static check (override_cost.go) refuses, when an override is saved,
// what would exhaust the budget by design; the budget stops what the check
// could not foresee, such as a release with far more press contacts than
// the sample.

// limits bound one rendering of a message.
type limits struct {
	// steps bounds template invocations, range iterations and function
	// calls, per part and form; 0 is no bound.
	steps int
	// bytes bounds a part's output, and separately what functions return
	// while rendering it, besides the release body (the body is the
	// release's, not the template's, and can be large).
	bytes int
	// duration bounds the whole message, every part and form; 0 is none.
	duration time.Duration
}

// overrideLimits apply to administrators' templates. A built-in message
// renders in about a millisecond and a few hundred steps. Steps and bytes
// are the bounds that stop a costly template the same way on any
// machine; the time is a backstop, generous enough that a busy machine
// never refuses an honest template. One second was not: the check of an
// override renders the sample release in about 10 ms, 100 ms under the
// race detector, and a loaded two-core machine stretched that past it.
var overrideLimits = limits{steps: 100_000, bytes: 256 << 10, duration: 5 * time.Second}

// builtinLimits only keep a built-in message, which is trusted and runs in
// linear time, from growing without bound on a huge release.
var builtinLimits = limits{bytes: maxPart}

// stepFunc is called at the start of every template and range iteration of
// an instrumented template. Its name is not in allowedFuncs, so an
// administrator cannot call it.
const stepFunc = "cqStep"

func noStep() (bool, error) { return false, nil }

// stepNode is "{{if cqStep}}{{end}}": an if, rather than an action, so that
// html/template adds no escaper to it and it writes nothing in any context.
var stepNode = func() parse.Node {
	trees, err := parse.Parse("step", "{{if "+stepFunc+"}}{{end}}", "{{", "}}", map[string]any{stepFunc: noStep})
	if err != nil {
		panic("templates: step node: " + err.Error())
	}
	return trees["step"].Root.Nodes[0]
}()

// instrument inserts a step at the start of tr and of every range body in
// it. It runs once per parsed tree, after the checks.
func instrument(tr *parse.Tree) {
	if tr != nil {
		instrumentList(tr.Root, true)
	}
}

func instrumentList(l *parse.ListNode, step bool) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.IfNode:
			instrumentList(n.List, false)
			instrumentList(n.ElseList, false)
		case *parse.WithNode:
			instrumentList(n.List, false)
			instrumentList(n.ElseList, false)
		case *parse.RangeNode:
			instrumentList(n.List, true)
			instrumentList(n.ElseList, false)
		}
	}
	if step {
		l.Nodes = append([]parse.Node{stepNode.Copy()}, l.Nodes...)
	}
}

// budgetError names the bound a template passed; its text is what the
// administrator reads, e.g. "html: output exceeds 262144 bytes besides the
// release body".
type budgetError struct{ part, msg string }

func (e *budgetError) Error() string { return e.part + ": " + e.msg }

// budget is the state of one rendering under limits.
type budget struct {
	ctx      context.Context
	lim      limits
	deadline time.Time

	// Per part: reset by start.
	part              string
	steps             int
	written, produced int
	maxBytes          int
	err               error // the first bound passed, or the context's end; sticky
}

func newBudget(ctx context.Context, lim limits) *budget {
	b := &budget{ctx: ctx, lim: lim}
	if lim.duration > 0 {
		b.deadline = time.Now().Add(lim.duration)
	}
	return b
}

// start begins a part; allowance is the size of the release body it may
// include besides its own bytes.
func (b *budget) start(part string, allowance int) {
	b.part, b.steps, b.written, b.produced = part, 0, 0, 0
	b.maxBytes = b.lim.bytes + allowance
}

func (b *budget) fail(format string, args ...any) error {
	if b.err == nil {
		b.err = &budgetError{part: b.part, msg: fmt.Sprintf(format, args...)}
	}
	return b.err
}

// check fails once a bound has been passed, the deadline is over or the
// context is done.
func (b *budget) check() error {
	if b.err != nil {
		return b.err
	}
	if err := b.ctx.Err(); err != nil {
		b.err = err
		return err
	}
	if !b.deadline.IsZero() && time.Now().After(b.deadline) {
		return b.fail("rendering took longer than %v", b.lim.duration)
	}
	return nil
}

// step counts one unit of work.
func (b *budget) step() error {
	if err := b.check(); err != nil {
		return err
	}
	b.steps++
	if b.lim.steps > 0 && b.steps > b.lim.steps {
		return b.fail("more than %d steps (template calls, range iterations and function calls)", b.lim.steps)
	}
	return nil
}

// produce counts a function's result of n bytes before it is built, so
// that functions cannot build strings of unbounded size from variables
// without writing them.
func (b *budget) produce(n int) error {
	if err := b.step(); err != nil {
		return err
	}
	b.produced += n
	if b.produced > b.maxBytes {
		return b.fail("function results exceed %d bytes besides the release body", b.lim.bytes)
	}
	return nil
}

// writer is where a part renders: it fails, and so stops the template,
// once the part is too large or the budget is spent.
type writer struct {
	strings.Builder
	b *budget
}

func (w *writer) Write(p []byte) (int, error) {
	if err := w.grow(len(p)); err != nil {
		return 0, err
	}
	return w.Builder.Write(p)
}

func (w *writer) WriteString(s string) (int, error) {
	if err := w.grow(len(s)); err != nil {
		return 0, err
	}
	return w.Builder.WriteString(s)
}

func (w *writer) grow(n int) error {
	if err := w.b.check(); err != nil {
		return err
	}
	w.b.written += n
	if w.b.written > w.b.maxBytes {
		return w.b.fail("output exceeds %d bytes besides the release body", w.b.lim.bytes)
	}
	return nil
}

// result turns an execution's error into the one to report: the bound
// that stopped it, if one did.
func (b *budget) result(err error) error {
	if err == nil {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	return err
}

// textFuncs are textFuncs under the budget: each call is a step, and what
// it returns is counted before it is built.
func (b *budget) textFuncs() texttemplate.FuncMap {
	return texttemplate.FuncMap{
		"wrap": func(parts ...string) (string, error) {
			if err := b.produce(totalLen(parts...)); err != nil {
				return "", err
			}
			return wrap(strings.Join(parts, "")), nil
		},
		"underline": func(s, ch string) (string, error) {
			if err := b.produce(len(s)); err != nil {
				return "", err
			}
			n := ruleWidth(wrapLines(s, textWidth))
			if err := b.produce(n * len(ch)); err != nil {
				return "", err
			}
			return strings.Repeat(ch, n), nil
		},
		"commaJoin": b.joinWith(", "),
		"joinWith":  b.joinWithSep,
		"call":      refuseCall,
		stepFunc:    b.stepFn,
	}
}

// htmlFuncs are htmlFuncs under the budget.
func (b *budget) htmlFuncs() htmltemplate.FuncMap {
	return htmltemplate.FuncMap{
		"commaJoin": b.joinWith(", "),
		"joinWith":  b.joinWithSep,
		"call":      refuseCall,
		stepFunc:    b.stepFn,
	}
}

// stepFn is stepFunc under the budget; its value is always false, so the
// inserted {{if}} renders nothing.
func (b *budget) stepFn() (bool, error) { return false, b.step() }

func (b *budget) joinWith(sep string) func(...string) (string, error) {
	return func(parts ...string) (string, error) { return b.joinWithSep(sep, parts...) }
}

func (b *budget) joinWithSep(sep string, parts ...string) (string, error) {
	if err := b.produce(totalLen(parts...) + len(sep)*len(parts)); err != nil {
		return "", err
	}
	return joinWith(sep, parts...), nil
}

func totalLen(parts ...string) int {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// budgeted returns mt ready to run under b: for an administrator's
// templates, clones whose functions count against b (the parsed originals
// are never executed, so they can be cloned again for the next rendering);
// the built-in templates run as they are.
func (mt *messageTemplates) budgeted(b *budget) (*messageTemplates, error) {
	if !mt.override {
		return mt, nil
	}
	c := *mt
	var errs [3]error
	if c.subject, errs[0] = mt.subject.Clone(); errs[0] == nil {
		c.subject.Funcs(b.textFuncs())
	}
	if c.text, errs[1] = mt.text.Clone(); errs[1] == nil {
		c.text.Funcs(b.textFuncs())
	}
	if c.html, errs[2] = mt.html.Clone(); errs[2] == nil {
		c.html.Funcs(b.htmlFuncs())
	}
	if err := errors.Join(errs[:]...); err != nil {
		return nil, fmt.Errorf("templates: clone %s/%s: %w", mt.message, mt.lang, err)
	}
	return &c, nil
}
