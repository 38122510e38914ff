package report

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes attacker-written text safe for any reader: control characters
// (terminal escapes, BEL, NUL) and invalid UTF-8 become visible \xNN / \u
// escapes. HTML escaping is html/template's job; this is the rest.
func Clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r):
			if r < 0x100 {
				fmt.Fprintf(&b, "\\x%02x", r)
			} else {
				fmt.Fprintf(&b, "\\u%04x", r)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// cleaned returns a deep copy of r with every string in it passed through
// Clean: every field, present and future, without a list to keep up to date.
func cleaned(r Report) Report {
	var c Report
	data, err := json.Marshal(r)
	if err == nil {
		err = json.Unmarshal(data, &c)
	}
	if err != nil {
		// Marshal of a Report cannot fail (no channels, funcs or cycles);
		// should it, nothing unclean is rendered.
		return Report{Case: "(report could not be prepared: " + Clean(err.Error()) + ")"}
	}
	cleanValue(reflect.ValueOf(&c).Elem())
	return c
}

func cleanValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(Clean(v.String()))
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			cleanValue(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				cleanValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			cleanValue(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			cleanValue(e)
			v.SetMapIndex(k, e)
		}
	}
}
