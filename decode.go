package commons

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeRecord reads exactly one JSON record from r, strictly: an unknown
// field, a value of the wrong type, malformed JSON or trailing data is an
// EINVALID error naming the field (or the byte offset). It does not validate
// the record's content; call Normalize and Validate for that.
func DecodeRecord(r io.Reader) (*Record, error) {
	var rec Record
	if err := DecodeStrict(r, &rec); err != nil {
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
