package collector

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"
)

// Record is the options as the manifest's custody records them: one
// string per field, exact and unambiguous (integers in decimal, durations
// as Go writes them, lists as JSON arrays), so that the report and a
// lawyer read "268435456" and "2m0s", not a float.
func (o Options) Record() map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(o)
	t := v.Type()
	for i := range t.NumField() {
		if s, ok := recordValue(v.Field(i)); ok {
			out[t.Field(i).Name] = s
		}
	}
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

// recordValue writes one option; ok is false for a kind that is not an
// option a responder sets (a channel, a function).
func recordValue(v reflect.Value) (string, bool) {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String(), true
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), true
	case reflect.Slice:
		if v.Len() == 0 {
			return "[]", true
		}
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}
