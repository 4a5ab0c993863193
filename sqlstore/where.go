package sqlstore

import (
	"strconv"
	"strings"
)

// conds builds the WHERE clause of a filtered list and its arguments,
// numbered $1, $2… in the order they are added.
type conds struct {
	where []string
	args  []any
}

// add adds a condition: SQL with a ? for each of values, in order.
func (c *conds) add(cond string, values ...any) {
	parts := strings.Split(cond, "?")
	if len(parts) != len(values)+1 {
		panic("sqlstore: " + strconv.Itoa(len(values)) + " values for the condition " + cond)
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(c.arg(values[i-1]))
		}
		b.WriteString(p)
	}
	c.where = append(c.where, b.String())
}

// arg adds an argument and returns its placeholder (for what follows
// the WHERE clause, such as a LIMIT).
func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// String returns " WHERE …" with the conditions joined by AND, or ""
// without conditions.
func (c *conds) String() string {
	if len(c.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.where, " AND ")
}

// likeEscaper makes a search term literal inside LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// containing is the LIKE ... ESCAPE '\' pattern of the lower-cased
// values that contain the search term.
func containing(term string) string {
	return "%" + likeEscaper.Replace(strings.ToLower(term)) + "%"
}
