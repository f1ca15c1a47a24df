package templates

import (
	"fmt"
	"strings"
	"text/template/parse"
)

// Static limits on an administrator's templates, checked when they are
// saved (and loaded), before anything runs. A template within them can
// still be slow on a release unlike the sample; the render budget (see
// budget.go) stops that one. These catch the templates built to blow up,
// at once and with a reason: a chain of defines each calling the previous
// twice, or ranges nested inside ranges.
const (
	// maxCallDepth bounds chains of template calls, the entry template
	// included. The built-in layout uses four (text → layout → banner →
	// embargo).
	maxCallDepth = 10
	// maxRangeDepth bounds ranges nested in ranges, through template calls
	// too. The data has one list, .Contacts, whose entries hold no list:
	// one level is all a message needs.
	maxRangeDepth = 2
	// maxStaticSteps bounds the steps the worst path through a template
	// may take, counting each range as rangeItems iterations.
	maxStaticSteps = 100_000
	// rangeItems is how many press contacts the worst case assumes: far
	// more than a release has, and a release with more still meets the
	// render budget.
	rangeItems = 50
)

// cost is what running a template, a list or a node may take at worst.
type cost struct {
	steps  int // saturates above maxStaticSteps
	ranges int // deepest nesting of ranges
	calls  int // longest chain of template calls below
	// rangeAt and callAt are the nodes, in the template measured, where
	// the deepest ranges and calls start; chain is that call chain.
	rangeAt, callAt parse.Node
	chain           []string
}

func addSteps(a, b int) int { return min(a+b, maxStaticSteps+1) }

func mulSteps(a, n int) int {
	if a > 0 && n > (maxStaticSteps+1)/a {
		return maxStaticSteps + 1
	}
	return min(a*n, maxStaticSteps+1)
}

// costChecker measures the templates of one set, each once.
type costChecker struct {
	trees map[string]*parse.Tree
	memo  map[string]*cost
}

// checkCost measures entry in a set whose calls do not recurse (findCycle
// has said so) and returns its problems, each naming the part and, where
// it helps, the line.
func checkCost(part string, trees map[string]*parse.Tree, entry string) []string {
	tr := trees[entry]
	if tr == nil {
		return nil
	}
	c := &costChecker{trees: trees, memo: map[string]*cost{}}
	k := c.template(entry)
	where := func(n parse.Node) string {
		if n == nil {
			return part
		}
		loc, _ := tr.ErrorContext(n)
		if parts := strings.SplitN(loc, ":", 3); len(parts) == 3 {
			return part + ": line " + parts[1]
		}
		return part
	}
	var problems []string
	if k.calls+1 > maxCallDepth {
		problems = append(problems, fmt.Sprintf("%s: template calls nest %d deep (%s); at most %d",
			where(k.callAt), k.calls+1, shortChain(append([]string{entry}, k.chain...)), maxCallDepth))
	}
	if k.ranges > maxRangeDepth {
		problems = append(problems, fmt.Sprintf("%s: ranges nest %d deep; at most %d", where(k.rangeAt), k.ranges, maxRangeDepth))
	}
	if len(problems) == 0 && k.steps > maxStaticSteps {
		problems = append(problems, fmt.Sprintf("%s: would take more than %d steps with %d press contacts (template calls and ranges multiply)",
			part, maxStaticSteps, rangeItems))
	}
	return problems
}

// shortChain writes a call chain, eliding its middle when long.
func shortChain(chain []string) string {
	if len(chain) > 6 {
		chain = append(append(chain[:3:3], "…"), chain[len(chain)-2:]...)
	}
	return strings.Join(chain, " → ")
}

func (c *costChecker) template(name string) *cost {
	if k, ok := c.memo[name]; ok {
		return k
	}
	k := &cost{steps: 1}
	c.memo[name] = k // a call graph without cycles never reads this early
	if tr := c.trees[name]; tr != nil {
		*k = c.list(tr.Root)
		k.steps = addSteps(k.steps, 1)
	}
	return k
}

func (c *costChecker) list(l *parse.ListNode) cost {
	var k cost
	if l == nil {
		return k
	}
	for _, n := range l.Nodes {
		nk := c.node(n)
		k.steps = addSteps(k.steps, nk.steps)
		if nk.ranges > k.ranges {
			k.ranges, k.rangeAt = nk.ranges, nk.rangeAt
		}
		if nk.calls > k.calls {
			k.calls, k.callAt, k.chain = nk.calls, nk.callAt, nk.chain
		}
	}
	return k
}

// either is the worse of two branches, only one of which runs.
func either(a, b cost) cost {
	k := a
	k.steps = max(a.steps, b.steps)
	if b.ranges > a.ranges {
		k.ranges, k.rangeAt = b.ranges, b.rangeAt
	}
	if b.calls > a.calls {
		k.calls, k.callAt, k.chain = b.calls, b.callAt, b.chain
	}
	return k
}

func (c *costChecker) node(n parse.Node) cost {
	switch n := n.(type) {
	case *parse.TextNode:
		return cost{steps: 1}
	case *parse.ActionNode:
		return cost{steps: addSteps(1, pipeSteps(n.Pipe))}
	case *parse.IfNode:
		k := either(c.list(n.List), c.list(n.ElseList))
		k.steps = addSteps(k.steps, addSteps(1, pipeSteps(n.Pipe)))
		return k
	case *parse.WithNode:
		k := either(c.list(n.List), c.list(n.ElseList))
		k.steps = addSteps(k.steps, addSteps(1, pipeSteps(n.Pipe)))
		return k
	case *parse.RangeNode:
		body := c.list(n.List)
		body.steps = mulSteps(addSteps(body.steps, 1), rangeItems)
		body.ranges++
		body.rangeAt = n
		k := either(body, c.list(n.ElseList))
		k.steps = addSteps(k.steps, addSteps(1, pipeSteps(n.Pipe)))
		return k
	case *parse.TemplateNode:
		callee := c.template(n.Name)
		return cost{
			steps:  addSteps(callee.steps, addSteps(1, pipeSteps(n.Pipe))),
			ranges: callee.ranges, rangeAt: n,
			calls: callee.calls + 1, callAt: n, chain: append([]string{n.Name}, callee.chain...),
		}
	}
	return cost{}
}

// pipeSteps counts the commands and function calls of a pipeline.
func pipeSteps(p *parse.PipeNode) int {
	if p == nil {
		return 0
	}
	n := 0
	for _, cmd := range p.Cmds {
		n = addSteps(n, 1)
		for _, arg := range cmd.Args {
			switch a := arg.(type) {
			case *parse.PipeNode:
				n = addSteps(n, pipeSteps(a))
			case *parse.ChainNode:
				if p, ok := a.Node.(*parse.PipeNode); ok {
					n = addSteps(n, pipeSteps(p))
				}
			case *parse.IdentifierNode:
				n = addSteps(n, 1)
			}
		}
	}
	return n
}
