package chat

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Limits that keep a hostile template (a GGUF file is untrusted input) from
// hanging or exhausting memory: each is far beyond what a chat template
// needs.
const (
	maxOutput    = 32 << 20 // bytes of rendered text, and of any one string built
	maxSteps     = 2_000_000
	maxCallDepth = 100
)

// RenderError is a template that fails while rendering: a type error, an
// undefined value used, a limit reached.
type RenderError struct {
	Line int
	Msg  string
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("chat template: line %d: %s", e.Line, e.Msg)
}

// RaiseError is the template calling raise_exception(message), as Gemma's
// does on a bad order of roles. Message is the template's own text.
type RaiseError struct {
	Message string
}

func (e *RaiseError) Error() string { return "chat template raised: " + e.Message }

// scope is one level of variables. Like Jinja2, a for loop body (each
// iteration afresh) and a macro call get their own level, so set inside
// them does not leak out; if blocks do not.
//
// The top level holds the caller's variables in a map; inner levels hold a
// few names each, in slices, which is cheaper per loop iteration.
type scope struct {
	vars   map[string]value
	names  []string
	vals   []value
	parent *scope
}

func (s *scope) lookup(name string) (value, bool) {
	for ; s != nil; s = s.parent {
		for i, n := range s.names {
			if n == name {
				return s.vals[i], true
			}
		}
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) set(name string, v value) {
	for i, n := range s.names {
		if n == name {
			s.vals[i] = v
			return
		}
	}
	if s.vars != nil {
		s.vars[name] = v
		return
	}
	s.names = append(s.names, name)
	s.vals = append(s.vals, v)
}

type macroVal struct {
	m     *macro
	scope *scope
}

type loopVal struct {
	index0  int
	length  int
	items   []value
	depth0  int
	recurse *forNode
	body    *scope
}

type evaluator struct {
	out   strings.Builder
	steps int
	depth int
	now   func() time.Time
}

// errBreak and errContinue unwind loop bodies.
var (
	errBreak    = errors.New("break outside a loop")
	errContinue = errors.New("continue outside a loop")
)

func (ev *evaluator) fail(line int, format string, args ...any) error {
	return &RenderError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (ev *evaluator) step(line int) error {
	ev.steps++
	if ev.steps > maxSteps {
		return ev.fail(line, "template ran more than %d steps", maxSteps)
	}
	return nil
}

func (ev *evaluator) write(w *strings.Builder, s string) error {
	if w.Len()+len(s) > maxOutput {
		return &RenderError{Msg: fmt.Sprintf("output longer than %d bytes", maxOutput)}
	}
	w.WriteString(s)
	return nil
}

func (ev *evaluator) execBody(w *strings.Builder, body []node, sc *scope) error {
	for _, n := range body {
		if err := ev.exec(w, n, sc); err != nil {
			return err
		}
	}
	return nil
}

func (ev *evaluator) exec(w *strings.Builder, n node, sc *scope) error {
	switch n := n.(type) {
	case *textNode:
		return ev.write(w, n.text)
	case *outputNode:
		v, err := ev.eval(n.e, sc)
		if err != nil {
			return err
		}
		return ev.write(w, str(v))
	case *ifNode:
		for i, c := range n.conds {
			v, err := ev.eval(c, sc)
			if err != nil {
				return err
			}
			if truthy(v) {
				return ev.execBody(w, n.bodies[i], sc)
			}
		}
		if len(n.bodies) > len(n.conds) {
			return ev.execBody(w, n.bodies[len(n.conds)], sc)
		}
		return nil
	case *forNode:
		it, err := ev.eval(n.iter, sc)
		if err != nil {
			return err
		}
		return ev.loop(w, n, it, sc, 0)
	case *setNode:
		v, err := ev.eval(n.value, sc)
		if err != nil {
			return err
		}
		if n.attr != "" {
			target, ok := sc.lookup(n.targets[0])
			ns, isNS := target.(*namespace)
			if !ok || !isNS {
				return ev.fail(n.line, "cannot assign attribute on non-namespace object")
			}
			ns.d.set(n.attr, v)
			return nil
		}
		return ev.assign(n.line, n.targets, v, sc)
	case *setBlockNode:
		var b strings.Builder
		if err := ev.execBody(&b, n.body, sc); err != nil {
			return err
		}
		v, err := ev.applyFilters(b.String(), n.filters, sc)
		if err != nil {
			return err
		}
		sc.set(n.name, v)
		return nil
	case *filterBlockNode:
		var b strings.Builder
		if err := ev.execBody(&b, n.body, sc); err != nil {
			return err
		}
		v, err := ev.applyFilters(b.String(), n.filters, sc)
		if err != nil {
			return err
		}
		return ev.write(w, str(v))
	case *macroNode:
		sc.set(n.m.name, &macroVal{m: n.m, scope: sc})
		return nil
	case *breakNode:
		return errBreak
	case *continueNode:
		return errContinue
	}
	return fmt.Errorf("chat template: unknown node %T", n)
}

func (ev *evaluator) applyFilters(v value, fs []*filterExpr, sc *scope) (value, error) {
	for _, f := range fs {
		var err error
		if v, err = ev.callFilter(f, v, sc); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (ev *evaluator) assign(line int, targets []string, v value, sc *scope) error {
	if len(targets) == 1 {
		sc.set(targets[0], v)
		return nil
	}
	items, err := ev.iterate(line, v)
	if err != nil {
		return err
	}
	if len(items) != len(targets) {
		return ev.fail(line, "cannot unpack %d values into %d names", len(items), len(targets))
	}
	for i, t := range targets {
		sc.set(t, items[i])
	}
	return nil
}

// iterate lists what a for loop over v visits: a list's items, a string's
// characters, a dict's keys; nothing for undefined.
func (ev *evaluator) iterate(line int, v value) ([]value, error) {
	switch x := v.(type) {
	case []value:
		return x, nil
	case tuple:
		return x, nil
	case string:
		l := make([]value, 0, len(x))
		for _, r := range x {
			l = append(l, string(r))
		}
		return l, nil
	case *dict:
		l := make([]value, len(x.keys))
		for i, k := range x.keys {
			l[i] = k
		}
		return l, nil
	case undef:
		return nil, nil
	}
	return nil, ev.fail(line, "'%s' object is not iterable", typeName(v))
}

func (ev *evaluator) loop(w *strings.Builder, n *forNode, it value, sc *scope, depth int) error {
	items, err := ev.iterate(n.line, it)
	if err != nil {
		return err
	}
	if n.filter != nil {
		// "for x in y if cond" filters before the loop, so loop.length and
		// loop.last count only the kept items.
		var kept []value
		for _, item := range items {
			if err := ev.step(n.line); err != nil {
				return err
			}
			fs := &scope{parent: sc}
			if err := ev.assign(n.line, n.targets, item, fs); err != nil {
				return err
			}
			c, err := ev.eval(n.filter, fs)
			if err != nil {
				return err
			}
			if truthy(c) {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return ev.execBody(w, n.elseBody, sc)
	}
	lv := &loopVal{length: len(items), items: items, depth0: depth}
	if n.recursive {
		lv.recurse = n
	}
	for i, item := range items {
		if err := ev.step(n.line); err != nil {
			return err
		}
		body := &scope{parent: sc, names: make([]string, 0, 4), vals: make([]value, 0, 4)}
		lv.index0 = i
		lv.body = sc
		// Each iteration gets its own loop object: loop.cycle and
		// recursion read it while the body runs.
		cur := *lv
		body.set("loop", &cur)
		if err := ev.assign(n.line, n.targets, item, body); err != nil {
			return err
		}
		err := ev.execBody(w, n.body, body)
		if err == errBreak {
			break
		}
		if err != nil && err != errContinue {
			return err
		}
	}
	return nil
}

func (ev *evaluator) lookupName(e *nameExpr, sc *scope) value {
	if v, ok := sc.lookup(e.name); ok {
		return v
	}
	if b, ok := globals[e.name]; ok {
		return b
	}
	return undef{hint: fmt.Sprintf("'%s' is undefined", e.name)}
}

func (ev *evaluator) eval(e expr, sc *scope) (value, error) {
	switch e := e.(type) {
	case *constExpr:
		return e.v, nil
	case *nameExpr:
		return ev.lookupName(e, sc), nil
	case *listExpr:
		l := make([]value, len(e.items))
		for i, x := range e.items {
			v, err := ev.eval(x, sc)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	case *tupleExpr:
		l := make(tuple, len(e.items))
		for i, x := range e.items {
			v, err := ev.eval(x, sc)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	case *dictExpr:
		d := newDict(len(e.keys))
		for i := range e.keys {
			k, err := ev.eval(e.keys[i], sc)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, ev.fail(0, "dict keys must be strings here, not %s", typeName(k))
			}
			v, err := ev.eval(e.vals[i], sc)
			if err != nil {
				return nil, err
			}
			d.set(ks, v)
		}
		return d, nil
	case *attrExpr:
		obj, err := ev.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		return ev.getAttr(e.line, obj, e.name)
	case *itemExpr:
		obj, err := ev.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		key, err := ev.eval(e.key, sc)
		if err != nil {
			return nil, err
		}
		return ev.getItem(e.line, obj, key)
	case *sliceExpr:
		return ev.evalSlice(e, sc)
	case *callExpr:
		return ev.evalCall(e, sc)
	case *filterExpr:
		v, err := ev.eval(e.arg, sc)
		if err != nil {
			return nil, err
		}
		return ev.callFilter(e, v, sc)
	case *testExpr:
		return ev.evalTest(e, sc)
	case *unaryExpr:
		x, err := ev.eval(e.x, sc)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "not":
			return !truthy(x), nil
		case "-":
			switch v := x.(type) {
			case int64:
				if v == math.MinInt64 {
					return nil, ev.fail(e.line, "integer overflow")
				}
				return -v, nil
			case bool:
				i, _ := asInt(v)
				return -i, nil
			case float64:
				return -v, nil
			}
		case "+":
			switch v := x.(type) {
			case int64, float64:
				return v, nil
			case bool:
				i, _ := asInt(v)
				return i, nil
			}
		}
		if u, ok := x.(undef); ok {
			return nil, ev.fail(e.line, "%s", u.hint)
		}
		return nil, ev.fail(e.line, "bad operand type for unary %s: '%s'", e.op, typeName(x))
	case *binExpr:
		l, err := ev.eval(e.l, sc)
		if err != nil {
			return nil, err
		}
		switch e.op {
		case "and":
			if !truthy(l) {
				return l, nil
			}
			return ev.eval(e.r, sc)
		case "or":
			if truthy(l) {
				return l, nil
			}
			return ev.eval(e.r, sc)
		}
		r, err := ev.eval(e.r, sc)
		if err != nil {
			return nil, err
		}
		return ev.arith(e.line, e.op, l, r)
	case *compareExpr:
		l, err := ev.eval(e.first, sc)
		if err != nil {
			return nil, err
		}
		for i, op := range e.ops {
			r, err := ev.eval(e.rest[i], sc)
			if err != nil {
				return nil, err
			}
			ok, err := ev.compare(e.line, op, l, r)
			if err != nil {
				return nil, err
			}
			if !ok {
				return false, nil
			}
			l = r
		}
		return true, nil
	case *condExpr:
		c, err := ev.eval(e.cond, sc)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return ev.eval(e.yes, sc)
		}
		if e.no == nil {
			return undef{hint: "the inline if expression evaluated to false and no else section was defined"}, nil
		}
		return ev.eval(e.no, sc)
	case *concatExpr:
		var b strings.Builder
		for _, p := range e.parts {
			v, err := ev.eval(p, sc)
			if err != nil {
				return nil, err
			}
			if err := ev.write(&b, str(v)); err != nil {
				return nil, err
			}
		}
		return b.String(), nil
	}
	return nil, fmt.Errorf("chat template: unknown expression %T", e)
}

func (ev *evaluator) undefErr(line int, v value) error {
	return ev.fail(line, "%s", v.(undef).hint)
}

// getAttr is Jinja2's obj.name: an attribute (a method) first, then an
// item.
func (ev *evaluator) getAttr(line int, obj value, name string) (value, error) {
	switch x := obj.(type) {
	case undef:
		return nil, ev.undefErr(line, x)
	case *dict:
		if m := method(x, name); m != nil {
			return m, nil
		}
		if v, ok := x.m[name]; ok {
			return v, nil
		}
		return undef{hint: fmt.Sprintf("'dict object' has no attribute '%s'", name)}, nil
	case *namespace:
		if v, ok := x.d.m[name]; ok {
			return v, nil
		}
	case *loopVal:
		if v := x.attr(ev, name); v != nil {
			return v, nil
		}
	default:
		if m := method(obj, name); m != nil {
			return m, nil
		}
	}
	return undef{hint: fmt.Sprintf("'%s object' has no attribute '%s'", typeName(obj), name)}, nil
}

// getItem is Jinja2's obj[key]: an item first, then an attribute.
func (ev *evaluator) getItem(line int, obj, key value) (value, error) {
	switch x := obj.(type) {
	case undef:
		return nil, ev.undefErr(line, x)
	case *dict:
		if k, ok := key.(string); ok {
			if v, ok := x.m[k]; ok {
				return v, nil
			}
			if m := method(x, k); m != nil {
				return m, nil
			}
			return undef{hint: fmt.Sprintf("'dict object' has no attribute '%s'", k)}, nil
		}
		return undef{hint: fmt.Sprintf("'dict object' has no attribute %s", repr(key))}, nil
	case []value, tuple, string:
		i, ok := asInt(key)
		if !ok {
			if k, isStr := key.(string); isStr {
				return ev.getAttr(line, obj, k)
			}
			return nil, ev.fail(line, "%s indices must be integers, not %s", typeName(obj), typeName(key))
		}
		seq := seqOf(obj)
		n := int64(len(seq))
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return undef{hint: fmt.Sprintf("%s object has no element %s", typeName(obj), repr(key))}, nil
		}
		return seq[i], nil
	case *namespace, *loopVal:
		if k, ok := key.(string); ok {
			return ev.getAttr(line, obj, k)
		}
	}
	return undef{hint: fmt.Sprintf("'%s object' has no attribute %s", typeName(obj), repr(key))}, nil
}

// seqOf gives the items of a list or tuple, or the characters of a string.
func seqOf(v value) []value {
	switch x := v.(type) {
	case []value:
		return x
	case tuple:
		return x
	case string:
		l := make([]value, 0, len(x))
		for _, r := range x {
			l = append(l, string(r))
		}
		return l
	}
	return nil
}

func (ev *evaluator) evalSlice(e *sliceExpr, sc *scope) (value, error) {
	obj, err := ev.eval(e.obj, sc)
	if err != nil {
		return nil, err
	}
	var bounds [3]*int64
	for i, b := range [3]expr{e.start, e.stop, e.stp} {
		if b == nil {
			continue
		}
		v, err := ev.eval(b, sc)
		if err != nil {
			return nil, err
		}
		if _, isNone := v.(none); isNone {
			continue
		}
		n, ok := asInt(v)
		if !ok {
			return nil, ev.fail(e.line, "slice indices must be integers or None")
		}
		bounds[i] = &n
	}
	if u, ok := obj.(undef); ok {
		return nil, ev.undefErr(e.line, u)
	}
	var seq []value
	switch obj.(type) {
	case []value, tuple, string:
		seq = seqOf(obj)
	default:
		return nil, ev.fail(e.line, "'%s' object is not subscriptable", typeName(obj))
	}
	idx, err := sliceIndices(int64(len(seq)), bounds)
	if err != nil {
		return nil, ev.fail(e.line, "%v", err)
	}
	out := make([]value, len(idx))
	for i, j := range idx {
		out[i] = seq[j]
	}
	switch obj.(type) {
	case string:
		var b strings.Builder
		for _, c := range out {
			b.WriteString(c.(string))
		}
		return b.String(), nil
	case tuple:
		return tuple(out), nil
	}
	return out, nil
}

// sliceIndices is Python's slice.indices followed by range.
func sliceIndices(n int64, b [3]*int64) ([]int, error) {
	step := int64(1)
	if b[2] != nil {
		step = *b[2]
	}
	if step == 0 {
		return nil, errors.New("slice step cannot be zero")
	}
	clamp := func(p *int64, def int64) int64 {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += n
			if v < 0 {
				if step < 0 {
					return -1
				}
				return 0
			}
		}
		if v >= n {
			if step < 0 {
				return n - 1
			}
			return n
		}
		return v
	}
	var start, stop int64
	if step > 0 {
		start, stop = clamp(b[0], 0), clamp(b[1], n)
	} else {
		start, stop = clamp(b[0], n-1), clamp(b[1], -1)
	}
	var idx []int
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		idx = append(idx, int(i))
	}
	return idx, nil
}

func (ev *evaluator) evalArgs(args []expr, kws []kwArg, sc *scope) ([]value, []kwVal, error) {
	av := make([]value, len(args))
	for i, a := range args {
		v, err := ev.eval(a, sc)
		if err != nil {
			return nil, nil, err
		}
		av[i] = v
	}
	var kv []kwVal
	for _, k := range kws {
		v, err := ev.eval(k.val, sc)
		if err != nil {
			return nil, nil, err
		}
		kv = append(kv, kwVal{k.name, v})
	}
	return av, kv, nil
}

func (ev *evaluator) evalCall(e *callExpr, sc *scope) (value, error) {
	fn, err := ev.eval(e.fn, sc)
	if err != nil {
		return nil, err
	}
	args, kw, err := ev.evalArgs(e.args, e.kw, sc)
	if err != nil {
		return nil, err
	}
	return ev.call(e.line, fn, args, kw)
}

func (ev *evaluator) call(line int, fn value, args []value, kw []kwVal) (value, error) {
	if err := ev.step(line); err != nil {
		return nil, err
	}
	switch f := fn.(type) {
	case *builtin:
		v, err := f.fn(ev, args, kw)
		if err != nil {
			var re *RaiseError
			var rend *RenderError
			if errors.As(err, &re) || errors.As(err, &rend) {
				return nil, err
			}
			return nil, ev.fail(line, "%s: %v", f.name, err)
		}
		return v, nil
	case *macroVal:
		return ev.callMacro(line, f, args, kw)
	case *loopVal:
		return ev.callLoop(line, f, args)
	case undef:
		return nil, ev.undefErr(line, f)
	}
	return nil, ev.fail(line, "'%s' object is not callable", typeName(fn))
}

func (ev *evaluator) callMacro(line int, f *macroVal, args []value, kw []kwVal) (value, error) {
	if ev.depth >= maxCallDepth {
		return nil, ev.fail(line, "macro calls nested deeper than %d", maxCallDepth)
	}
	ev.depth++
	defer func() { ev.depth-- }()
	m := f.m
	sc := &scope{parent: f.scope}
	if len(args) > len(m.params) {
		return nil, ev.fail(line, "macro '%s' takes not more than %d argument(s)", m.name, len(m.params))
	}
	set := make([]bool, len(m.params))
	for i, a := range args {
		sc.set(m.params[i].name, a)
		set[i] = true
	}
	for _, k := range kw {
		found := false
		for i, p := range m.params {
			if p.name == k.name {
				if set[i] {
					return nil, ev.fail(line, "macro '%s' got multiple values for argument '%s'", m.name, k.name)
				}
				sc.set(p.name, k.v)
				set[i] = true
				found = true
			}
		}
		if !found {
			return nil, ev.fail(line, "macro '%s' has no argument named '%s'", m.name, k.name)
		}
	}
	for i, p := range m.params {
		if set[i] {
			continue
		}
		if p.def == nil {
			sc.set(p.name, undef{hint: fmt.Sprintf("'%s' is undefined", p.name)})
			continue
		}
		v, err := ev.eval(p.def, sc)
		if err != nil {
			return nil, err
		}
		sc.set(p.name, v)
	}
	var b strings.Builder
	if err := ev.execBody(&b, m.body, sc); err != nil {
		if err == errBreak || err == errContinue {
			return nil, ev.fail(line, "%v", err)
		}
		return nil, err
	}
	return b.String(), nil
}

func (l *loopVal) attr(ev *evaluator, name string) value {
	i, n := l.index0, l.length
	switch name {
	case "index":
		return int64(i + 1)
	case "index0":
		return int64(i)
	case "revindex":
		return int64(n - i)
	case "revindex0":
		return int64(n - i - 1)
	case "first":
		return i == 0
	case "last":
		return i == n-1
	case "length":
		return int64(n)
	case "depth":
		return int64(l.depth0 + 1)
	case "depth0":
		return int64(l.depth0)
	case "previtem":
		if i == 0 {
			return undef{hint: "there is no previous item"}
		}
		return l.items[i-1]
	case "nextitem":
		if i == n-1 {
			return undef{hint: "there is no next item"}
		}
		return l.items[i+1]
	case "cycle":
		return &builtin{name: "loop.cycle", fn: func(_ *evaluator, args []value, _ []kwVal) (value, error) {
			if len(args) == 0 {
				return nil, errors.New("no items for cycling given")
			}
			return args[i%len(args)], nil
		}}
	}
	return nil
}

// callLoop runs a recursive loop's body over new items: loop(children).
func (ev *evaluator) callLoop(line int, l *loopVal, args []value) (value, error) {
	if l.recurse == nil {
		return nil, ev.fail(line, "the loop is not recursive")
	}
	if len(args) != 1 {
		return nil, ev.fail(line, "loop() takes one argument")
	}
	if ev.depth >= maxCallDepth {
		return nil, ev.fail(line, "recursive loop nested deeper than %d", maxCallDepth)
	}
	ev.depth++
	defer func() { ev.depth-- }()
	var b strings.Builder
	if err := ev.loop(&b, l.recurse, args[0], l.body, l.depth0+1); err != nil {
		return nil, err
	}
	return b.String(), nil
}

// arith is + - * / // % ** with Python's rules.
func (ev *evaluator) arith(line int, op string, l, r value) (value, error) {
	if u, ok := l.(undef); ok {
		return nil, ev.undefErr(line, u)
	}
	if u, ok := r.(undef); ok {
		return nil, ev.undefErr(line, u)
	}
	li, lInt := asInt(l)
	ri, rInt := asInt(r)
	lf, lNum := number(l)
	rf, rNum := number(r)
	bad := func() error {
		return ev.fail(line, "unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(l), typeName(r))
	}
	switch op {
	case "+":
		switch x := l.(type) {
		case string:
			if y, ok := r.(string); ok {
				if len(x)+len(y) > maxOutput {
					return nil, ev.fail(line, "string longer than %d bytes", maxOutput)
				}
				return x + y, nil
			}
			return nil, ev.fail(line, "can only concatenate str (not \"%s\") to str", typeName(r))
		case []value:
			if y, ok := r.([]value); ok {
				return append(append(make([]value, 0, len(x)+len(y)), x...), y...), nil
			}
			return nil, ev.fail(line, "can only concatenate list (not \"%s\") to list", typeName(r))
		case tuple:
			if y, ok := r.(tuple); ok {
				return append(append(make(tuple, 0, len(x)+len(y)), x...), y...), nil
			}
			return nil, bad()
		}
		if lInt && rInt {
			s := li + ri
			if (s > li) != (ri > 0) {
				return nil, ev.fail(line, "integer overflow")
			}
			return s, nil
		}
		if lNum && rNum {
			return lf + rf, nil
		}
	case "-":
		if lInt && rInt {
			s := li - ri
			if (s < li) != (ri > 0) {
				return nil, ev.fail(line, "integer overflow")
			}
			return s, nil
		}
		if lNum && rNum {
			return lf - rf, nil
		}
	case "*":
		if s, ok := l.(string); ok && rInt {
			return ev.repeatStr(line, s, ri)
		}
		if s, ok := r.(string); ok && lInt {
			return ev.repeatStr(line, s, li)
		}
		if s, ok := l.([]value); ok && rInt {
			return ev.repeatList(line, s, ri)
		}
		if s, ok := r.([]value); ok && lInt {
			return ev.repeatList(line, s, li)
		}
		if lInt && rInt {
			if li != 0 && (li*ri/li != ri || (li == -1 && ri == math.MinInt64) || (ri == -1 && li == math.MinInt64)) {
				return nil, ev.fail(line, "integer overflow")
			}
			return li * ri, nil
		}
		if lNum && rNum {
			return lf * rf, nil
		}
	case "/":
		if lNum && rNum {
			if rf == 0 {
				return nil, ev.fail(line, "division by zero")
			}
			return lf / rf, nil
		}
	case "//", "%":
		if f, ok := l.(string); ok && op == "%" {
			args := []value{r}
			if t, isTuple := r.(tuple); isTuple {
				args = t
			}
			return pyPercent(f, args)
		}
		if lNum && rNum {
			if rf == 0 {
				return nil, ev.fail(line, "integer division or modulo by zero")
			}
			if lInt && rInt {
				if li == math.MinInt64 && ri == -1 {
					return nil, ev.fail(line, "integer overflow")
				}
				q, m := li/ri, li%ri
				if m != 0 && (m < 0) != (ri < 0) {
					q--
					m += ri
				}
				if op == "//" {
					return q, nil
				}
				return m, nil
			}
			q := math.Floor(lf / rf)
			m := math.Mod(lf, rf)
			if m != 0 && (m < 0) != (rf < 0) {
				m += rf
			}
			if op == "//" {
				return q, nil
			}
			return m, nil
		}
	case "**":
		if lInt && rInt && ri >= 0 {
			res := int64(1)
			base := li
			for e := ri; e > 0; e-- {
				if base != 0 && (res*base/base != res) {
					return nil, ev.fail(line, "integer overflow")
				}
				res *= base
				if res == 0 || res == 1 && base == 1 {
					break
				}
				if e > 64 && (base == -1) {
					if ri%2 == 0 {
						return int64(1), nil
					}
					return int64(-1), nil
				}
			}
			return res, nil
		}
		if lNum && rNum {
			if lf == 0 && rf < 0 {
				return nil, ev.fail(line, "0.0 cannot be raised to a negative power")
			}
			return math.Pow(lf, rf), nil
		}
	}
	return nil, bad()
}

func (ev *evaluator) repeatStr(line int, s string, n int64) (value, error) {
	if n <= 0 || s == "" {
		return "", nil
	}
	if int64(len(s))*n > maxOutput || n > maxOutput {
		return nil, ev.fail(line, "string longer than %d bytes", maxOutput)
	}
	return strings.Repeat(s, int(n)), nil
}

func (ev *evaluator) repeatList(line int, l []value, n int64) (value, error) {
	if n <= 0 || len(l) == 0 {
		return []value{}, nil
	}
	if int64(len(l))*n > maxSteps || n > maxSteps {
		return nil, ev.fail(line, "list too long")
	}
	out := make([]value, 0, len(l)*int(n))
	for range n {
		out = append(out, l...)
	}
	return out, nil
}

// compare is == != < > <= >= in, not in.
func (ev *evaluator) compare(line int, op string, l, r value) (bool, error) {
	switch op {
	case "==":
		return equal(l, r), nil
	case "!=":
		return !equal(l, r), nil
	case "in", "not in":
		in, err := ev.contains(line, r, l)
		if err != nil {
			return false, err
		}
		return in == (op == "in"), nil
	}
	c, err := ev.order(line, op, l, r)
	if err != nil {
		return false, err
	}
	switch op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	}
	return c >= 0, nil
}

// order compares numbers with numbers, strings with strings, and lists
// item by item; anything else is Python's TypeError.
func (ev *evaluator) order(line int, op string, l, r value) (int, error) {
	if u, ok := l.(undef); ok {
		return 0, ev.undefErr(line, u)
	}
	if u, ok := r.(undef); ok {
		return 0, ev.undefErr(line, u)
	}
	if lf, ok := number(l); ok {
		if rf, ok := number(r); ok {
			li, lInt := asInt(l)
			ri, rInt := asInt(r)
			switch {
			case lInt && rInt && li < ri, !(lInt && rInt) && lf < rf:
				return -1, nil
			case lInt && rInt && li > ri, !(lInt && rInt) && lf > rf:
				return 1, nil
			}
			return 0, nil
		}
	}
	if ls, ok := l.(string); ok {
		if rs, ok := r.(string); ok {
			return strings.Compare(ls, rs), nil
		}
	}
	if ll, ok := l.([]value); ok {
		if rl, ok := r.([]value); ok {
			for i := 0; i < len(ll) && i < len(rl); i++ {
				if equal(ll[i], rl[i]) {
					continue
				}
				return ev.order(line, op, ll[i], rl[i])
			}
			return len(ll) - len(rl), nil
		}
	}
	return 0, ev.fail(line, "'%s' not supported between instances of '%s' and '%s'", op, typeName(l), typeName(r))
}

// contains is Python's "needle in hay".
func (ev *evaluator) contains(line int, hay, needle value) (bool, error) {
	switch h := hay.(type) {
	case string:
		n, ok := needle.(string)
		if !ok {
			if u, isU := needle.(undef); isU {
				return false, ev.undefErr(line, u)
			}
			return false, ev.fail(line, "'in <string>' requires string as left operand, not %s", typeName(needle))
		}
		return strings.Contains(h, n), nil
	case []value, tuple:
		for _, x := range seqOf(h) {
			if equal(x, needle) {
				return true, nil
			}
		}
		return false, nil
	case *dict:
		n, ok := needle.(string)
		if !ok {
			return false, nil
		}
		_, in := h.m[n]
		return in, nil
	case undef:
		return false, nil
	}
	return false, ev.fail(line, "argument of type '%s' is not iterable", typeName(hay))
}
