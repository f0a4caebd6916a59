package chat

import (
	"fmt"
	"strconv"
)

// Syntax tree. Statements render output; expressions compute values.

type node interface{}

type (
	textNode   struct{ text string }
	outputNode struct {
		e    expr
		line int
	}
	ifNode struct {
		conds  []expr
		bodies [][]node // len(bodies) == len(conds), or one more for else
	}
	forNode struct {
		targets   []string // one name, or several to unpack
		iter      expr
		filter    expr // the "if" of "for x in y if cond", or nil
		body      []node
		elseBody  []node
		recursive bool
		line      int
	}
	setNode struct {
		targets []string // one name, or several to unpack
		attr    string   // set ns.attr = ...: targets[0] is ns
		value   expr
		line    int
	}
	setBlockNode struct {
		name    string
		filters []*filterExpr // applied to the captured text, in order
		body    []node
	}
	filterBlockNode struct {
		filters []*filterExpr
		body    []node
	}
	macroNode struct {
		m *macro
	}
	breakNode    struct{}
	continueNode struct{}
)

type expr interface{}

type (
	constExpr struct{ v value }
	nameExpr  struct {
		name string
		line int
	}
	listExpr  struct{ items []expr }
	tupleExpr struct{ items []expr }
	dictExpr  struct{ keys, vals []expr }
	attrExpr  struct {
		obj  expr
		name string
		line int
	}
	itemExpr struct {
		obj, key expr
		line     int
	}
	sliceExpr struct {
		obj              expr
		start, stop, stp expr // each may be nil
		line             int
	}
	callExpr struct {
		fn   expr
		args []expr
		kw   []kwArg
		line int
	}
	filterExpr struct {
		arg  expr // nil inside a filter block or set block
		name string
		args []expr
		kw   []kwArg
		line int
	}
	testExpr struct {
		arg  expr
		name string
		args []expr
		neg  bool
		line int
	}
	unaryExpr struct {
		op   string // "-", "+", "not"
		x    expr
		line int
	}
	binExpr struct {
		op   string
		l, r expr
		line int
	}
	// compareExpr is a chain: a < b < c means a < b and b < c.
	compareExpr struct {
		first expr
		ops   []string
		rest  []expr
		line  int
	}
	condExpr struct {
		cond, yes, no expr // no may be nil: undefined
	}
	concatExpr struct{ parts []expr }
)

type kwArg struct {
	name string
	val  expr
}

type macroParam struct {
	name string
	def  expr // nil: required
}

type macro struct {
	name   string
	params []macroParam
	body   []node
}

// maxNesting bounds the parser's recursion, so a hostile template cannot
// exhaust the stack.
const maxNesting = 300

type parser struct {
	toks  []token
	pos   int
	depth int
}

// SyntaxError is a template that does not parse.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("chat template: line %d: %s", e.Line, e.Msg)
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Line: p.peek().line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.val == op
}

func (p *parser) isName(name string) bool {
	t := p.peek()
	return t.kind == tName && t.val == name
}

func (p *parser) expectOp(op string) error {
	if !p.isOp(op) {
		return p.errorf("expected '%s', found %s", op, p.peek())
	}
	p.next()
	return nil
}

func (p *parser) expectName() (string, error) {
	t := p.peek()
	if t.kind != tName {
		return "", p.errorf("expected a name, found %s", t)
	}
	p.next()
	return t.val, nil
}

func (p *parser) expectBlockEnd() error {
	if p.peek().kind != tBlockEnd {
		return p.errorf("expected end of statement '%%}', found %s", p.peek())
	}
	p.next()
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxNesting {
		return p.errorf("template nested too deeply")
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func parseTemplate(toks []token) ([]node, error) {
	p := &parser{toks: toks}
	body, end, err := p.parseBody(nil)
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, p.errorf("unexpected '%s'", end)
	}
	return body, nil
}

// parseBody parses nodes until one of the end keywords opens a block tag
// (the tag's keyword is consumed and returned; the rest of the tag is
// left) or the template ends (returns "").
func (p *parser) parseBody(ends []string) ([]node, string, error) {
	if err := p.enter(); err != nil {
		return nil, "", err
	}
	defer p.leave()
	var body []node
	for {
		t := p.next()
		switch t.kind {
		case tEOF:
			if len(ends) > 0 {
				return nil, "", &SyntaxError{Line: t.line, Msg: fmt.Sprintf("unexpected end of template, expected '%s'", ends[len(ends)-1])}
			}
			return body, "", nil
		case tText:
			body = append(body, &textNode{t.val})
		case tVarBegin:
			e, err := p.parseTuple()
			if err != nil {
				return nil, "", err
			}
			if p.peek().kind != tVarEnd {
				return nil, "", p.errorf("expected end of print statement '}}', found %s", p.peek())
			}
			p.next()
			body = append(body, &outputNode{e: e, line: t.line})
		case tBlockBegin:
			kw := p.peek()
			if kw.kind != tName {
				return nil, "", p.errorf("expected a statement name, found %s", kw)
			}
			for _, e := range ends {
				if kw.val == e {
					p.next()
					return body, e, nil
				}
			}
			p.next()
			n, err := p.parseStatement(kw)
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				body = append(body, n)
			}
		default:
			return nil, "", p.errorf("unexpected %s", t)
		}
	}
}

func (p *parser) parseStatement(kw token) (node, error) {
	switch kw.val {
	case "if":
		return p.parseIf()
	case "for":
		return p.parseFor(kw.line)
	case "set":
		return p.parseSet(kw.line)
	case "macro":
		return p.parseMacro()
	case "filter":
		fs, err := p.parseFilterChain()
		if err != nil {
			return nil, err
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endfilter"})
		if err != nil {
			return nil, err
		}
		return &filterBlockNode{filters: fs, body: body}, p.expectBlockEnd()
	case "break", "continue":
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		if kw.val == "break" {
			return &breakNode{}, nil
		}
		return &continueNode{}, nil
	case "generation":
		// transformers' AssistantTracker extension: {% generation %} marks
		// assistant text for masks and renders its body unchanged.
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endgeneration"})
		if err != nil {
			return nil, err
		}
		return &filterBlockNode{body: body}, p.expectBlockEnd()
	}
	return nil, &SyntaxError{Line: kw.line, Msg: fmt.Sprintf("unknown or unsupported tag '%s'", kw.val)}
}

func (p *parser) parseIf() (node, error) {
	n := &ifNode{}
	for {
		c, err := p.parseTuple()
		if err != nil {
			return nil, err
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, end, err := p.parseBody([]string{"elif", "else", "endif"})
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, c)
		n.bodies = append(n.bodies, body)
		switch end {
		case "elif":
			continue
		case "else":
			if err := p.expectBlockEnd(); err != nil {
				return nil, err
			}
			body, _, err := p.parseBody([]string{"endif"})
			if err != nil {
				return nil, err
			}
			n.bodies = append(n.bodies, body)
		}
		return n, p.expectBlockEnd()
	}
}

func (p *parser) parseTargets() ([]string, error) {
	var names []string
	paren := p.isOp("(")
	if paren {
		p.next()
	}
	for {
		name, err := p.expectName()
		if err != nil {
			return nil, err
		}
		names = append(names, name)
		if !p.isOp(",") {
			break
		}
		p.next()
		if paren && p.isOp(")") {
			break
		}
	}
	if paren {
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func (p *parser) parseFor(line int) (node, error) {
	targets, err := p.parseTargets()
	if err != nil {
		return nil, err
	}
	if !p.isName("in") {
		return nil, p.errorf("expected 'in' in for loop, found %s", p.peek())
	}
	p.next()
	iter, err := p.parseTupleNoCond()
	if err != nil {
		return nil, err
	}
	n := &forNode{targets: targets, iter: iter, line: line}
	if p.isName("if") {
		p.next()
		if n.filter, err = p.parseTuple(); err != nil {
			return nil, err
		}
	}
	if p.isName("recursive") {
		p.next()
		n.recursive = true
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, end, err := p.parseBody([]string{"else", "endfor"})
	if err != nil {
		return nil, err
	}
	n.body = body
	if end == "else" {
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		if n.elseBody, _, err = p.parseBody([]string{"endfor"}); err != nil {
			return nil, err
		}
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseSet(line int) (node, error) {
	first, err := p.expectName()
	if err != nil {
		return nil, err
	}
	if p.isOp(".") {
		p.next()
		attr, err := p.expectName()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		v, err := p.parseTuple()
		if err != nil {
			return nil, err
		}
		return &setNode{targets: []string{first}, attr: attr, value: v, line: line}, p.expectBlockEnd()
	}
	targets := []string{first}
	for p.isOp(",") {
		p.next()
		name, err := p.expectName()
		if err != nil {
			return nil, err
		}
		targets = append(targets, name)
	}
	if p.isOp("=") {
		p.next()
		v, err := p.parseTuple()
		if err != nil {
			return nil, err
		}
		return &setNode{targets: targets, value: v, line: line}, p.expectBlockEnd()
	}
	if len(targets) > 1 {
		return nil, p.errorf("a block set takes one name")
	}
	// Block set: {% set name %}...{% endset %}, optionally with filters.
	var fs []*filterExpr
	if p.isOp("|") {
		if fs, err = p.parseFilterChain(); err != nil {
			return nil, err
		}
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, _, err := p.parseBody([]string{"endset"})
	if err != nil {
		return nil, err
	}
	return &setBlockNode{name: first, filters: fs, body: body}, p.expectBlockEnd()
}

// parseFilterChain parses "name(args) | name2 ..." with an optional
// leading "|", for filter blocks and block sets.
func (p *parser) parseFilterChain() ([]*filterExpr, error) {
	var fs []*filterExpr
	for {
		if p.isOp("|") {
			p.next()
		}
		f, err := p.parseFilterCall(nil)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
		if !p.isOp("|") {
			return fs, nil
		}
	}
}

func (p *parser) parseMacro() (node, error) {
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	m := &macro{name: name}
	for !p.isOp(")") {
		if len(m.params) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.isOp(")") {
				break
			}
		}
		pn, err := p.expectName()
		if err != nil {
			return nil, err
		}
		prm := macroParam{name: pn}
		if p.isOp("=") {
			p.next()
			if prm.def, err = p.parseExpr(); err != nil {
				return nil, err
			}
		} else if len(m.params) > 0 && m.params[len(m.params)-1].def != nil {
			return nil, p.errorf("non-default argument follows default argument")
		}
		m.params = append(m.params, prm)
	}
	p.next()
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, _, err := p.parseBody([]string{"endmacro"})
	if err != nil {
		return nil, err
	}
	// "{% endmacro name %}" is allowed.
	if p.peek().kind == tName {
		p.next()
	}
	m.body = body
	return &macroNode{m: m}, p.expectBlockEnd()
}

// Expressions, by Jinja2's precedence: conditional, or, and, not,
// comparison, + -, ~, * / // %, **, unary - +, then filters and tests,
// then postfix . [] ().

// parseTuple parses an expression, or several separated by commas as a
// tuple (as "{% set a, b = 1, 2 %}" and "{{ 1, 2 }}" allow).
func (p *parser) parseTuple() (expr, error) { return p.tuple(p.parseExpr) }

func (p *parser) parseTupleNoCond() (expr, error) { return p.tuple(p.parseOr) }

func (p *parser) tuple(item func() (expr, error)) (expr, error) {
	e, err := item()
	if err != nil {
		return nil, err
	}
	if !p.isOp(",") {
		return e, nil
	}
	items := []expr{e}
	for p.isOp(",") {
		p.next()
		if k := p.peek().kind; k == tBlockEnd || k == tVarEnd || p.isOp(")") {
			break
		}
		e, err := item()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	return &tupleExpr{items}, nil
}

func (p *parser) parseExpr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for p.isName("if") {
		p.next()
		c, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		ce := &condExpr{cond: c, yes: e}
		if p.isName("else") {
			p.next()
			if ce.no, err = p.parseExpr(); err != nil {
				return nil, err
			}
		}
		e = ce
	}
	return e, nil
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isName("or") {
		line := p.next().line
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: "or", l: l, r: r, line: line}
	}
	return l, nil
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isName("and") {
		line := p.next().line
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: "and", l: l, r: r, line: line}
	}
	return l, nil
}

func (p *parser) parseNot() (expr, error) {
	if p.isName("not") {
		line := p.next().line
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{op: "not", x: x, line: line}, nil
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() (expr, error) {
	first, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	ce := &compareExpr{first: first, line: p.peek().line}
	for {
		t := p.peek()
		op := ""
		switch {
		case t.kind == tOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == ">" || t.val == "<=" || t.val == ">="):
			op = t.val
			p.next()
		case t.kind == tName && t.val == "in":
			op = "in"
			p.next()
		case t.kind == tName && t.val == "not" && p.toks[p.pos+1].kind == tName && p.toks[p.pos+1].val == "in":
			op = "not in"
			p.next()
			p.next()
		}
		if op == "" {
			break
		}
		r, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		ce.ops = append(ce.ops, op)
		ce.rest = append(ce.rest, r)
	}
	if len(ce.ops) == 0 {
		return first, nil
	}
	return ce, nil
}

func (p *parser) parseMath1() (expr, error) {
	l, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		t := p.next()
		r, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: t.val, l: l, r: r, line: t.line}
	}
	return l, nil
}

func (p *parser) parseConcat() (expr, error) {
	e, err := p.parseMath2()
	if err != nil {
		return nil, err
	}
	if !p.isOp("~") {
		return e, nil
	}
	parts := []expr{e}
	for p.isOp("~") {
		p.next()
		e, err := p.parseMath2()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
	}
	return &concatExpr{parts}, nil
}

func (p *parser) parseMath2() (expr, error) {
	l, err := p.parsePow()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%") {
		t := p.next()
		r, err := p.parsePow()
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: t.val, l: l, r: r, line: t.line}
	}
	return l, nil
}

func (p *parser) parsePow() (expr, error) {
	l, err := p.parseUnary(true)
	if err != nil {
		return nil, err
	}
	for p.isOp("**") {
		t := p.next()
		r, err := p.parseUnary(true)
		if err != nil {
			return nil, err
		}
		l = &binExpr{op: "**", l: l, r: r, line: t.line}
	}
	return l, nil
}

func (p *parser) parseUnary(withFilter bool) (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var e expr
	var err error
	if p.isOp("-") || p.isOp("+") {
		t := p.next()
		x, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		e = &unaryExpr{op: t.val, x: x, line: t.line}
	} else {
		if e, err = p.parsePrimary(); err != nil {
			return nil, err
		}
		if e, err = p.parsePostfix(e); err != nil {
			return nil, err
		}
	}
	if withFilter {
		return p.parseFilterTests(e)
	}
	return e, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.peek()
	switch t.kind {
	case tName:
		p.next()
		switch t.val {
		case "true", "True":
			return &constExpr{true}, nil
		case "false", "False":
			return &constExpr{false}, nil
		case "none", "None":
			return &constExpr{none{}}, nil
		}
		return &nameExpr{name: t.val, line: t.line}, nil
	case tString:
		p.next()
		s := t.val
		for p.peek().kind == tString {
			s += p.next().val
		}
		return &constExpr{s}, nil
	case tInt:
		p.next()
		n, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			return nil, &SyntaxError{Line: t.line, Msg: "integer literal out of range: " + t.val}
		}
		return &constExpr{n}, nil
	case tFloat:
		p.next()
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			// Python reads an out-of-range literal as inf.
			return &constExpr{f}, nil
		}
		return &constExpr{f}, nil
	case tOp:
		switch t.val {
		case "(":
			p.next()
			if p.isOp(")") {
				p.next()
				return &tupleExpr{}, nil
			}
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if p.isOp(",") {
				items := []expr{e}
				for p.isOp(",") {
					p.next()
					if p.isOp(")") {
						break
					}
					e, err := p.parseExpr()
					if err != nil {
						return nil, err
					}
					items = append(items, e)
				}
				e = &tupleExpr{items}
			}
			return e, p.expectOp(")")
		case "[":
			p.next()
			l := &listExpr{}
			for !p.isOp("]") {
				if len(l.items) > 0 {
					if err := p.expectOp(","); err != nil {
						return nil, err
					}
					if p.isOp("]") {
						break
					}
				}
				e, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, e)
			}
			p.next()
			return l, nil
		case "{":
			p.next()
			d := &dictExpr{}
			for !p.isOp("}") {
				if len(d.keys) > 0 {
					if err := p.expectOp(","); err != nil {
						return nil, err
					}
					if p.isOp("}") {
						break
					}
				}
				k, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				if err := p.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, v)
			}
			p.next()
			return d, nil
		}
	}
	return nil, p.errorf("unexpected %s", t)
}

func (p *parser) parsePostfix(e expr) (expr, error) {
	for {
		t := p.peek()
		switch {
		case p.isOp("."):
			p.next()
			n := p.peek()
			switch n.kind {
			case tName:
				p.next()
				e = &attrExpr{obj: e, name: n.val, line: n.line}
			case tInt:
				p.next()
				i, err := strconv.ParseInt(n.val, 10, 64)
				if err != nil {
					return nil, p.errorf("bad index %s", n.val)
				}
				e = &itemExpr{obj: e, key: &constExpr{i}, line: n.line}
			default:
				return nil, p.errorf("expected an attribute name after '.', found %s", n)
			}
		case p.isOp("["):
			p.next()
			var err error
			if e, err = p.parseSubscript(e, t.line); err != nil {
				return nil, err
			}
		case p.isOp("("):
			var err error
			if e, err = p.parseCall(e); err != nil {
				return nil, err
			}
		default:
			return e, nil
		}
	}
}

func (p *parser) parseSubscript(obj expr, line int) (expr, error) {
	var parts [3]expr
	n := 0
	isSlice := false
	for {
		if p.isOp(":") {
			isSlice = true
			p.next()
			n++
			if n > 2 {
				return nil, p.errorf("too many ':' in slice")
			}
			continue
		}
		if p.isOp("]") {
			p.next()
			break
		}
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if parts[n] != nil {
			return nil, p.errorf("expected ']' or ':', found %s", p.peek())
		}
		parts[n] = e
	}
	if !isSlice {
		if parts[0] == nil {
			return nil, p.errorf("empty subscript")
		}
		return &itemExpr{obj: obj, key: parts[0], line: line}, nil
	}
	return &sliceExpr{obj: obj, start: parts[0], stop: parts[1], stp: parts[2], line: line}, nil
}

func (p *parser) parseArgs() ([]expr, []kwArg, error) {
	if err := p.expectOp("("); err != nil {
		return nil, nil, err
	}
	var args []expr
	var kw []kwArg
	for !p.isOp(")") {
		if len(args)+len(kw) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, nil, err
			}
			if p.isOp(")") {
				break
			}
		}
		t := p.peek()
		if t.kind == tName && p.toks[p.pos+1].kind == tOp && p.toks[p.pos+1].val == "=" {
			p.next()
			p.next()
			v, err := p.parseExpr()
			if err != nil {
				return nil, nil, err
			}
			kw = append(kw, kwArg{name: t.val, val: v})
			continue
		}
		if len(kw) > 0 {
			return nil, nil, p.errorf("positional argument follows keyword argument")
		}
		v, err := p.parseExpr()
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	p.next()
	return args, kw, nil
}

func (p *parser) parseCall(fn expr) (expr, error) {
	line := p.peek().line
	args, kw, err := p.parseArgs()
	if err != nil {
		return nil, err
	}
	return &callExpr{fn: fn, args: args, kw: kw, line: line}, nil
}

func (p *parser) parseFilterCall(arg expr) (*filterExpr, error) {
	t := p.peek()
	name, err := p.expectName()
	if err != nil {
		return nil, err
	}
	for p.isOp(".") { // dotted filter names
		p.next()
		n, err := p.expectName()
		if err != nil {
			return nil, err
		}
		name += "." + n
	}
	f := &filterExpr{arg: arg, name: name, line: t.line}
	if p.isOp("(") {
		if f.args, f.kw, err = p.parseArgs(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (p *parser) parseFilterTests(e expr) (expr, error) {
	for {
		switch {
		case p.isOp("|"):
			p.next()
			f, err := p.parseFilterCall(e)
			if err != nil {
				return nil, err
			}
			e = f
		case p.isName("is"):
			p.next()
			line := p.peek().line
			te := &testExpr{arg: e, line: line}
			if p.isName("not") {
				p.next()
				te.neg = true
			}
			name, err := p.expectName()
			if err != nil {
				return nil, err
			}
			for p.isOp(".") {
				p.next()
				n, err := p.expectName()
				if err != nil {
					return nil, err
				}
				name += "." + n
			}
			te.name = name
			t := p.peek()
			switch {
			case p.isOp("("):
				args, kw, err := p.parseArgs()
				if err != nil {
					return nil, err
				}
				if len(kw) > 0 {
					return nil, p.errorf("tests take no keyword arguments")
				}
				te.args = args
			case t.kind == tString || t.kind == tInt || t.kind == tFloat || p.isOp("[") || p.isOp("{") ||
				t.kind == tName && t.val != "else" && t.val != "or" && t.val != "and" && t.val != "if" && t.val != "is" && t.val != "in" && t.val != "not":
				// One argument without parentheses: "x is divisibleby 3".
				a, err := p.parsePrimary()
				if err != nil {
					return nil, err
				}
				if a, err = p.parsePostfix(a); err != nil {
					return nil, err
				}
				te.args = []expr{a}
			}
			e = te
		case p.isOp("("):
			var err error
			if e, err = p.parseCall(e); err != nil {
				return nil, err
			}
		default:
			return e, nil
		}
	}
}
