package commons

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
)

// DecodeRecord reads exactly one JSON record from r, strictly: an unknown
// field, a value of the wrong type, malformed JSON or trailing data is an
// EINVALID error naming the field (or the byte offset). It does not validate
// the record's content; call Normalize and Validate for that.
//
// Every unknown field and every value of the wrong type is named by its
// full path ("licences[1].expression"), as Validate names its problems.
func DecodeRecord(r io.Reader) (*Record, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := DecodeStrict(bytes.NewReader(b), &rec); err != nil {
		// encoding/json reports the first problem, without its path: walk
		// the document beside the type to name every one.
		var doc any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if dec.Decode(&doc) == nil {
			var fields []FieldError
			checkJSON(&fields, "", doc, reflect.TypeFor[Record]())
			if len(fields) > 0 {
				return nil, &Error{Code: EINVALID, Message: "the record is invalid", Fields: fields}
			}
		}
		return nil, err
	}
	return &rec, nil
}

// DecodeStrict decodes exactly one JSON value from r into v, rejecting
// unknown fields, with errors as DecodeRecord describes.
func DecodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &Error{Code: EINVALID, Message: "the body holds more than one JSON value"}
	}
	return nil
}

// jsonError turns an encoding/json error into an EINVALID *Error that names
// the field.
func jsonError(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		unknown = "json: unknown field "
	)
	switch {
	case errors.As(err, &syntax):
		return &Error{Code: EINVALID, Message: fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(document)"
		}
		return &Error{Code: EINVALID, Message: "the record is invalid", Fields: []FieldError{{
			Field: field, Message: fmt.Sprintf("must be %s, not %s", jsonType(typ.Type.Kind().String()), typ.Value),
		}}}
	case strings.HasPrefix(err.Error(), unknown):
		field := strings.Trim(strings.TrimPrefix(err.Error(), unknown), `"`)
		return &Error{Code: EINVALID, Message: "the record is invalid", Fields: []FieldError{{Field: field, Message: "is not a known field"}}}
	case errors.Is(err, io.EOF):
		return &Error{Code: EINVALID, Message: "the body is empty; a JSON object was expected"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Code: EINVALID, Message: "malformed JSON: unexpected end of input"}
	}
	return err // a read error (e.g. a body over its size limit): the caller maps it
}

func jsonType(kind string) string {
	switch kind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "a number"
	}
	return kind
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	unmarshalType = reflect.TypeFor[json.Unmarshaler]()
)

// checkJSON walks a generic JSON value v beside the Go type t that it is
// meant to decode into, and records every member t does not know and every
// value of the wrong JSON type, with its path. It mirrors encoding/json:
// null fits anything and object keys match field names case-insensitively.
// fundingCallType decodes itself, to read a plain-string title, but is
// checked field by field all the same.
var fundingCallType = reflect.TypeFor[FundingCall]()

func checkJSON(out *[]FieldError, path string, v any, t reflect.Type) {
	if v == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	bad := func(want string) {
		*out = append(*out, FieldError{Field: orDocument(path), Message: fmt.Sprintf("must be %s, not %s", want, jsonKind(v))})
	}
	switch {
	case t == timeType:
		s, ok := v.(string)
		if !ok {
			bad("a date-time string")
		} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			*out = append(*out, FieldError{Field: orDocument(path), Message: fmt.Sprintf("%q is not an RFC 3339 date-time", s)})
		}
		return
	case reflect.PointerTo(t).Implements(unmarshalType) && t != fundingCallType:
		return // decodes itself; its own error is reported as is
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		for key, val := range obj {
			f, ok := fieldByJSONName(t, key)
			if !ok {
				*out = append(*out, FieldError{Field: join(path, key), Message: "is not a known field"})
				continue
			}
			if _, plain := val.(string); plain && t == fundingCallType && key == "title" {
				continue // the title's form before it had languages
			}
			checkJSON(out, join(path, key), val, f.Type)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("an object")
			return
		}
		for key, val := range obj {
			checkJSON(out, join(path, key), val, t.Elem())
		}
	case reflect.Slice, reflect.Array:
		arr, ok := v.([]any)
		if !ok {
			bad("an array")
			return
		}
		for i, val := range arr {
			checkJSON(out, fmt.Sprintf("%s[%d]", path, i), val, t.Elem())
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			bad("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			bad("true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			bad("an integer")
		} else if _, err := n.Int64(); err != nil {
			bad("an integer")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			bad("a number")
		}
	}
}

// fieldByJSONName finds the struct field that encoding/json would decode
// the object key into: exact tag name first, then case-insensitively.
func fieldByJSONName(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			fold, found = f, true
		}
	}
	return fold, found
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orDocument(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

// jsonKind names the JSON type of a generic value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "null"
}
