package flux

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxRank bounds the ranks a RankSet accepts, so a hostile "0-4000000000" cannot make us
// allocate; far above any MiniCluster size.
const MaxRank = 1 << 20

// RankSet is a sorted set of distinct ranks, written as a Flux idset ("0-3,7").
type RankSet []int32

// ParseRankSet reads a Flux idset: comma-separated ranks and ranges, optionally in brackets
// ("[0-1]", as flux jobs prints several ranks). The empty string is the empty set.
func ParseRankSet(s string) (RankSet, error) {
	body := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	if body == "" {
		return nil, nil
	}
	var out RankSet
	for part := range strings.SplitSeq(body, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := parseRank(lo)
		if err != nil {
			return nil, fmt.Errorf("idset %q: %w", s, err)
		}
		last := first
		if isRange {
			if last, err = parseRank(hi); err != nil {
				return nil, fmt.Errorf("idset %q: %w", s, err)
			}
			if last < first {
				return nil, fmt.Errorf("idset %q: range %q runs backwards", s, part)
			}
		}
		for r := first; r <= last; r++ {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func parseRank(s string) (int32, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 || n > MaxRank {
		return 0, fmt.Errorf("%q is not a rank (0..%d)", s, MaxRank)
	}
	return int32(n), nil
}

// NewRankSet returns the set of the given ranks, sorted and without repeats.
func NewRankSet(ranks ...int32) RankSet {
	out := slices.Clone(RankSet(ranks))
	slices.Sort(out)
	return slices.Compact(out)
}

// RankRange returns the ranks [from, to).
func RankRange(from, to int32) RankSet {
	var out RankSet
	for r := from; r < to; r++ {
		out = append(out, r)
	}
	return out
}

// String writes the set as a Flux idset, ranges collapsed: "0-3,7".
func (s RankSet) String() string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(s[i])))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(s[j])))
		}
		i = j + 1
	}
	return b.String()
}

// Contains reports whether r is in the set.
func (s RankSet) Contains(r int32) bool {
	_, found := slices.BinarySearch(s, r)
	return found
}

// Validate checks the set is sorted, distinct and in range: what a caller building argv for
// flux must hold before running it.
func (s RankSet) Validate() error {
	for i, r := range s {
		if r < 0 || r > MaxRank {
			return fmt.Errorf("rank %d is out of range 0..%d", r, MaxRank)
		}
		if i > 0 && s[i-1] >= r {
			return fmt.Errorf("ranks %v are not sorted and distinct", []int32(s))
		}
	}
	return nil
}
