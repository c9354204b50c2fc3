package mode

import "github.com/poold/poold/internal/enum"

// NodePreload is --node-preload: whether node workers get poold's preload.
type NodePreload int

const (
	// NodePreloadAuto puts the preload in front of node commands.
	NodePreloadAuto NodePreload = iota + 1
	// NodePreloadOff leaves every command's NODE_OPTIONS alone.
	NodePreloadOff
)

var nodePreloads = enum.Names[NodePreload]{What: "node-preload", Type: "Mode", Names: []string{"auto", "off"}}

func (m NodePreload) String() string { return nodePreloads.String(m) }

// ParseNodePreload parses a --node-preload value.
func ParseNodePreload(s string) (NodePreload, error) { return nodePreloads.Parse(s) }
