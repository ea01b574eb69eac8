package advisor

import (
	"math"

	"github.com/expr-lang/expr/ast"
)

// Evaluation by closures. Most rule expressions compare facts with constants,
// combine conditions with and, or and not, do arithmetic, or call round,
// floor, ceil, abs, min or max. For those, compileExpr turns the syntax
// tree that expr has parsed, type-checked and optimised into Go closures
// over the typed facts: no map look-ups, no boxing, several times faster
// than expr's VM. Anything else (other operators, builtins, members,
// arrays, integer arithmetic) keeps running on the VM. Each closure
// follows the semantics of the VM's instruction for the same node, and
// closures_test.go holds the two to identical results.

// The closures an expression compiles to, one per result type.
type (
	numberFunc func(*facts) float64
	flagFunc   func(*facts) bool
	textFunc   func(*facts) string
)

// number is a numeric expression as a closure. mayBeInt tells that expr
// could compute it as an int (an integer constant, or min, max or abs of
// one), so that + - * between two of them would be integer arithmetic,
// which the closures do not do.
type number struct {
	fn       numberFunc
	mayBeInt bool
}

// maxExactInt bounds the integer constants the closures take: up to it,
// an int converts to float64 exactly, so comparisons agree with expr's.
const maxExactInt = 1 << 53

// closureNumber returns the closure computing numeric node n, or false
// when n is not one the closures cover.
func closureNumber(n ast.Node) (number, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		id, ok := numberFactIndex[n.Value]
		return number{fn: func(f *facts) float64 { return f.number[id] }}, ok
	case *ast.FloatNode:
		return constantNumber(n.Value, false), true
	case *ast.IntegerNode:
		return constantInt(n.Value)
	case *ast.ConstantNode:
		switch v := n.Value.(type) {
		case float64:
			return constantNumber(v, false), true
		case int:
			return constantInt(v)
		}
	case *ast.UnaryNode:
		return closureSign(n)
	case *ast.BinaryNode:
		return closureArithmetic(n)
	case *ast.BuiltinNode:
		return closureBuiltin(n)
	}
	return number{}, false
}

func constantNumber(v float64, mayBeInt bool) number {
	return number{fn: func(*facts) float64 { return v }, mayBeInt: mayBeInt}
}

func constantInt(v int) (number, bool) {
	return constantNumber(float64(v), true), v >= -maxExactInt && v <= maxExactInt
}

func closureSign(n *ast.UnaryNode) (number, bool) {
	if n.Operator != "-" && n.Operator != "+" {
		return number{}, false
	}
	x, ok := closureNumber(n.Node)
	if !ok || n.Operator == "+" {
		return x, ok
	}
	return number{fn: func(f *facts) float64 { return -x.fn(f) }, mayBeInt: x.mayBeInt}, true
}

// closureArithmetic covers + - * / unless both sides may be ints (expr
// computes int + - * int in integers; its / always divides floats).
func closureArithmetic(n *ast.BinaryNode) (number, bool) {
	op := arithmetic[n.Operator]
	if op == nil {
		return number{}, false
	}
	l, okL := closureNumber(n.Left)
	r, okR := closureNumber(n.Right)
	if !okL || !okR || (l.mayBeInt && r.mayBeInt && n.Operator != "/") {
		return number{}, false
	}
	return number{fn: func(f *facts) float64 { return op(l.fn(f), r.fn(f)) }}, true
}

var arithmetic = map[string]func(x, y float64) float64{
	"+": func(x, y float64) float64 { return x + y },
	"-": func(x, y float64) float64 { return x - y },
	"*": func(x, y float64) float64 { return x * y },
	"/": func(x, y float64) float64 { return x / y },
}

// closureBuiltin covers round, floor, ceil and abs of one number, and min
// and max of numbers.
func closureBuiltin(n *ast.BuiltinNode) (number, bool) {
	args := make([]number, len(n.Arguments))
	anyInt := false
	for i, a := range n.Arguments {
		var ok bool
		if args[i], ok = closureNumber(a); !ok {
			return number{}, false
		}
		anyInt = anyInt || args[i].mayBeInt
	}
	if fn, ok := oneArgument[n.Name]; ok && len(args) == 1 {
		x := args[0].fn
		return number{fn: func(f *facts) float64 { return fn(x(f)) }, mayBeInt: n.Name == "abs" && anyInt}, true
	}
	switch {
	case len(args) < 2:
		return number{}, false
	case n.Name == "min":
		return number{fn: fold(args, func(acc, v float64) bool { return acc > v }), mayBeInt: anyInt}, true
	case n.Name == "max":
		return number{fn: fold(args, func(acc, v float64) bool { return acc < v }), mayBeInt: anyInt}, true
	}
	return number{}, false
}

var oneArgument = map[string]func(float64) float64{
	"round": math.Round,
	"floor": math.Floor,
	"ceil":  math.Ceil,
	"abs":   math.Abs,
}

// fold picks among args the way expr's min and max do: start from the
// first and take each later one for which replace(current, it) holds (so
// a NaN first argument stays, unlike Go's min and max).
func fold(args []number, replace func(acc, v float64) bool) numberFunc {
	return func(f *facts) float64 {
		acc := args[0].fn(f)
		for _, a := range args[1:] {
			if v := a.fn(f); replace(acc, v) {
				acc = v
			}
		}
		return acc
	}
}

// closureFlag returns a closure computing yes/no node n, or false.
func closureFlag(n ast.Node) (flagFunc, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		id, ok := flagFactIndex[n.Value]
		if !ok {
			return nil, false
		}
		return func(f *facts) bool { return f.flag[id] }, true
	case *ast.BoolNode:
		return constantFlag(n.Value), true
	case *ast.ConstantNode:
		if v, ok := n.Value.(bool); ok {
			return constantFlag(v), true
		}
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil, false
		}
		x, ok := closureFlag(n.Node)
		if !ok {
			return nil, false
		}
		return func(f *facts) bool { return !x(f) }, true
	case *ast.BinaryNode:
		return closureLogic(n)
	}
	return nil, false
}

func constantFlag(v bool) flagFunc { return func(*facts) bool { return v } }

// closureLogic covers and, or, ==, != and the orderings.
func closureLogic(n *ast.BinaryNode) (flagFunc, bool) {
	switch n.Operator {
	case "&&", "and", "||", "or":
		l, okL := closureFlag(n.Left)
		r, okR := closureFlag(n.Right)
		if !okL || !okR {
			return nil, false
		}
		if n.Operator == "&&" || n.Operator == "and" {
			return func(f *facts) bool { return l(f) && r(f) }, true
		}
		return func(f *facts) bool { return l(f) || r(f) }, true
	case "==", "!=":
		eq, ok := closureEqual(n.Left, n.Right)
		if !ok || n.Operator == "==" {
			return eq, ok
		}
		return func(f *facts) bool { return !eq(f) }, true
	}
	return closureOrder(n)
}

// closureEqual compares two numbers, two texts or two yes/no values.
func closureEqual(left, right ast.Node) (flagFunc, bool) {
	if l, ok := closureNumber(left); ok {
		if r, ok := closureNumber(right); ok {
			return func(f *facts) bool { return l.fn(f) == r.fn(f) }, true
		}
	}
	if l, ok := closureText(left); ok {
		if r, ok := closureText(right); ok {
			return func(f *facts) bool { return l(f) == r(f) }, true
		}
	}
	if l, ok := closureFlag(left); ok {
		if r, ok := closureFlag(right); ok {
			return func(f *facts) bool { return l(f) == r(f) }, true
		}
	}
	return nil, false
}

// closureOrder covers < <= > >= between numbers.
func closureOrder(n *ast.BinaryNode) (flagFunc, bool) {
	op := order[n.Operator]
	if op == nil {
		return nil, false
	}
	l, okL := closureNumber(n.Left)
	r, okR := closureNumber(n.Right)
	if !okL || !okR {
		return nil, false
	}
	return func(f *facts) bool { return op(l.fn(f), r.fn(f)) }, true
}

var order = map[string]func(x, y float64) bool{
	"<":  func(x, y float64) bool { return x < y },
	"<=": func(x, y float64) bool { return x <= y },
	">":  func(x, y float64) bool { return x > y },
	">=": func(x, y float64) bool { return x >= y },
}

// closureText returns a closure giving text node n, or false.
func closureText(n ast.Node) (textFunc, bool) {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		id, ok := textFactIndex[n.Value]
		if !ok {
			return nil, false
		}
		return func(f *facts) string { return f.text[id] }, true
	case *ast.StringNode:
		return constantText(n.Value), true
	case *ast.ConstantNode:
		if v, ok := n.Value.(string); ok {
			return constantText(v), true
		}
	}
	return nil, false
}

func constantText(v string) textFunc { return func(*facts) string { return v } }
