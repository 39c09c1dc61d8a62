package flux

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRankSet(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    RankSet
		wantStr string
		wantErr bool
	}{
		"empty":           {in: "", want: nil, wantStr: ""},
		"one":             {in: "2", want: RankSet{2}, wantStr: "2"},
		"range":           {in: "0-3", want: RankSet{0, 1, 2, 3}, wantStr: "0-3"},
		"brackets":        {in: "[0-1]", want: RankSet{0, 1}, wantStr: "0-1"},
		"list":            {in: "0,2-3", want: RankSet{0, 2, 3}, wantStr: "0,2-3"},
		"unsorted repeat": {in: "5,1,1-2", want: RankSet{1, 2, 5}, wantStr: "1-2,5"},
		"backwards":       {in: "3-1", wantErr: true},
		"negative":        {in: "-1", wantErr: true},
		"word":            {in: "vm", wantErr: true},
		"huge":            {in: "0-4000000000", wantErr: true},
		"trailing comma":  {in: "1,", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseRankSet(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseRankSet(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseRankSet(%q) (-want +got):\n%s", tc.in, diff)
			}
			if s := got.String(); s != tc.wantStr {
				t.Errorf("String() = %q, want %q", s, tc.wantStr)
			}
		})
	}
}

func FuzzParseRankSet(f *testing.F) {
	for _, s := range []string{"0-3", "[0-1]", "0,2-3", "", "9", "a-b", "1--2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseRankSet(s)
		if err != nil {
			return
		}
		if err := set.Validate(); err != nil {
			t.Fatalf("ParseRankSet(%q) gave an invalid set: %v", s, err)
		}
		again, err := ParseRankSet(set.String())
		if err != nil || !cmp.Equal(set, again) {
			t.Fatalf("round trip of %q: %v -> %q -> %v (%v)", s, set, set.String(), again, err)
		}
	})
}
