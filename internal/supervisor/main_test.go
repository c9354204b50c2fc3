package supervisor

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test stops its loop; a goroutine left behind is a bug.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
