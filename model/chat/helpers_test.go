package chat

import (
	"encoding/json"
	"errors"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func jsonRaw(b []byte) json.RawMessage { return json.RawMessage(b) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
