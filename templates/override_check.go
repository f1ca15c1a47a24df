package templates

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
	"text/template/parse"

	"golang.org/x/net/html"
)

// allowedBuiltins are the text/template built-in functions templates may
// use. The others either format without bound (printf with a width),
// call function values (call), slice, or escape in ways html/template
// must decide (html, js, urlquery).
var allowedBuiltins = map[string]bool{
	"and": true, "or": true, "not": true, "len": true, "index": true,
	"eq": true, "ne": true, "lt": true, "le": true, "gt": true, "ge": true,
}

// allowedFuncs are ours (see textFuncs and htmlFuncs), minus call.
var allowedFuncs = map[string]bool{"wrap": true, "underline": true, "commaJoin": true, "joinWith": true}

func checkTextTemplates(part string, t *texttemplate.Template) []string {
	trees := map[string]*parse.Tree{}
	for _, x := range t.Templates() {
		if x.Tree != nil {
			trees[x.Name()] = x.Tree
		}
	}
	return checkTrees(part, t.Name(), trees)
}

func checkHTMLTemplates(part string, t *htmltemplate.Template) []string {
	trees := map[string]*parse.Tree{}
	for _, x := range t.Templates() {
		if x.Tree != nil {
			trees[x.Name()] = x.Tree
		}
	}
	return checkTrees(part, t.Name(), trees)
}

// checkTrees walks every template of a set. Besides the function list, it
// refuses what could run without end: ranging over anything but a field
// (so never over a number, since no field is one), and template calls
// that recurse; then what would run too long from entry (checkCost).
func checkTrees(part, entry string, trees map[string]*parse.Tree) []string {
	var problems []string
	calls := map[string][]string{}
	for name, tr := range trees {
		c := &treeChecker{tree: tr}
		c.node(tr.Root)
		problems = append(problems, c.problems...)
		calls[name] = c.calls
	}
	if cycle := findCycle(calls); cycle != "" {
		return append(problems, "templates call themselves: "+cycle)
	}
	return append(problems, checkCost(part, trees, entry)...)
}

type treeChecker struct {
	tree     *parse.Tree
	problems []string
	calls    []string
}

func (c *treeChecker) fail(n parse.Node, format string, args ...any) {
	loc, _ := c.tree.ErrorContext(n)
	// loc is "name:line:col"; report it the way parse errors read.
	if parts := strings.SplitN(loc, ":", 3); len(parts) == 3 {
		loc = parts[0] + ": line " + parts[1]
	}
	c.problems = append(c.problems, loc+": "+fmt.Sprintf(format, args...))
}

func (c *treeChecker) node(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, x := range n.Nodes {
			c.node(x)
		}
	case *parse.ActionNode:
		c.pipe(n.Pipe)
	case *parse.IfNode:
		c.branch(&n.BranchNode)
	case *parse.WithNode:
		c.branch(&n.BranchNode)
	case *parse.RangeNode:
		if !rangeOverField(n.Pipe) {
			c.fail(n, "range may only go over a field, such as .Contacts")
		}
		c.branch(&n.BranchNode)
	case *parse.TemplateNode:
		c.calls = append(c.calls, n.Name)
		c.pipe(n.Pipe)
	}
}

func (c *treeChecker) branch(b *parse.BranchNode) {
	c.pipe(b.Pipe)
	c.node(b.List)
	if b.ElseList != nil {
		c.node(b.ElseList)
	}
}

func (c *treeChecker) pipe(p *parse.PipeNode) {
	if p == nil {
		return
	}
	for _, cmd := range p.Cmds {
		for _, arg := range cmd.Args {
			c.arg(arg)
		}
	}
}

func (c *treeChecker) arg(n parse.Node) {
	switch n := n.(type) {
	case *parse.IdentifierNode:
		if !allowedBuiltins[n.Ident] && !allowedFuncs[n.Ident] {
			c.fail(n, "function %q is not available (allowed: and, or, not, eq, ne, lt, le, gt, ge, len, index, wrap, underline, commaJoin, joinWith)", n.Ident)
		}
	case *parse.PipeNode:
		c.pipe(n)
	case *parse.ChainNode:
		c.arg(n.Node)
	}
}

// rangeOverField reports whether a range pipeline is a field of the data
// (.Contacts) or of a variable ($.Contacts), with nothing applied to it.
func rangeOverField(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return true
	case *parse.VariableNode:
		return len(a.Ident) > 1
	}
	return false
}

// findCycle returns a cycle in the call graph as "a → b → a", or "".
func findCycle(calls map[string][]string) string {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(string) string
	visit = func(n string) string {
		switch state[n] {
		case active:
			return strings.Join(append(path, n), " → ")
		case done:
			return ""
		}
		state[n] = active
		path = append(path, n)
		for _, m := range calls[n] {
			if c := visit(m); c != "" {
				return c
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return ""
	}
	for n := range calls {
		if c := visit(n); c != "" {
			return c
		}
	}
	return ""
}

// urlAttrs hold URLs: a personal field may start one only if it is the
// unsubscribe link, which Personalize checks for a safe scheme.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "background": true, "cite": true,
	"poster": true, "srcset": true, "data": true, "codebase": true, "longdesc": true, "usemap": true,
	"xlink:href": true, "manifest": true, "icon": true, "dynsrc": true, "lowsrc": true,
}

// rawTextElements hold text that is not HTML-escaped on reading.
var rawTextElements = map[string]bool{
	"script": true, "style": true, "xmp": true, "iframe": true, "noembed": true,
	"noframes": true, "noscript": true, "plaintext": true,
}

// checkMarkers holds an administrator's rendered HTML to the contract of
// htmlValues: personal fields only in element text or quoted attribute
// values, never in script, style, event handlers or a tag's name, and at
// the start of a URL only as the unsubscribe link. html/template cannot
// enforce this itself: it sees the fields as inert placeholders.
func checkMarkers(s string) error {
	if !strings.Contains(s, markerPrefix) {
		return nil
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var raw string // the raw-text element the tokenizer is in, if any
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if errors.Is(z.Err(), io.EOF) {
				return nil
			}
			return z.Err()
		case html.TextToken:
			if raw != "" && strings.Contains(string(z.Raw()), markerPrefix) {
				return fmt.Errorf("a personal field is inside <%s>", raw)
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			raw = ""
			rawTag := string(z.Raw())
			name, more := z.TagName()
			if strings.Contains(string(name), markerPrefix) {
				return errors.New("a personal field is in a tag name")
			}
			if tt == html.StartTagToken && rawTextElements[string(name)] {
				raw = string(name)
			}
			for more {
				var key, val []byte
				key, val, more = z.TagAttr()
				if err := checkAttr(string(key), string(val), rawTag); err != nil {
					return err
				}
			}
		case html.EndTagToken:
			raw = ""
		default: // comments, doctype
			if strings.Contains(string(z.Raw()), markerPrefix) {
				return errors.New("a personal field is in a comment or doctype")
			}
		}
	}
}

func checkAttr(key, val, rawTag string) error {
	if strings.Contains(key, markerPrefix) {
		return errors.New("a personal field is in an attribute name")
	}
	i := strings.Index(val, markerPrefix)
	if i < 0 {
		return nil
	}
	// The value must be quoted in the source, or a value with a space
	// would spill into new attributes.
	lower := strings.ToLower(rawTag)
	if !strings.Contains(lower, key+`="`) && !strings.Contains(lower, key+`='`) {
		return fmt.Errorf("a personal field is in the unquoted attribute %q", key)
	}
	switch {
	case strings.HasPrefix(key, "on"), key == "style":
		return fmt.Errorf("a personal field is in the %q attribute", key)
	}
	for j := i; j >= 0; {
		if j+len(markerPrefix) >= len(val) {
			return errors.New("a personal field was cut short")
		}
		f := field(val[j+len(markerPrefix)])
		if f == fieldLocal || f == fieldPrevious {
			return errors.New("a lift time is in an attribute; put it in the text")
		}
		if f == fieldGreeting {
			return errors.New("the greeting is in an attribute; it is a paragraph of its own")
		}
		if urlAttrs[key] && j == 0 && f != fieldURL && f != fieldPreview {
			return fmt.Errorf("a personal field starts the URL in %q; only .Recipient.UnsubscribeURL and .Recipient.PreviewURL may", key)
		}
		k := strings.Index(val[j+1:], markerPrefix)
		if k < 0 {
			break
		}
		j += 1 + k
	}
	return nil
}
