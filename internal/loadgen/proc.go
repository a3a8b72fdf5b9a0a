package loadgen

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// memory reads a process's peak and current resident set size, in bytes,
// from /proc (Linux). The peak (VmHWM) covers the process's whole life, so
// it is the run's only for a server started just before it.
func memory(pid int) (peak, now int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, _ := strings.Cut(line, ":")
		var dst *int64
		switch name {
		case "VmHWM":
			dst = &peak
		case "VmRSS":
			dst = &now
		default:
			continue
		}
		// "   123456 kB"
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("pid %d: %s: %w", pid, name, err)
		}
		*dst = kb << 10
	}
	if peak == 0 || now == 0 {
		return 0, 0, fmt.Errorf("pid %d: no VmHWM or VmRSS in /proc/%d/status", pid, pid)
	}
	return peak, now, nil
}
