package score

// TailPeriod ports vLLM's check_sequence_repetition
// (vllm/v1/core/sched/utils.py): the smallest pattern length p in
// minPattern..maxPattern such that the last p tokens are preceded by
// minCount−1 copies of themselves, or 0 if there is none. vLLM stops
// looking once p·minCount exceeds the length. vLLM's defaults for the eval
// set's tail_period_vllm_ws are maxPattern 64, minPattern 1, minCount 3;
// like vLLM, minPattern ≤ 0 means 1 and maxPattern ≤ 0 or minCount < 2
// disable the check.
func TailPeriod[T comparable](toks []T, minPattern, maxPattern, minCount int) int {
	if minPattern <= 0 {
		minPattern = 1
	}
	if maxPattern <= 0 || minCount < 2 || minPattern > maxPattern {
		return 0
	}
	L := len(toks)
	for p := minPattern; p <= maxPattern; p++ {
		if p*minCount > L {
			return 0
		}
		if tailRepeats(toks, p, minCount) {
			return p
		}
	}
	return 0
}

func tailRepeats[T comparable](toks []T, p, count int) bool {
	L := len(toks)
	for n := 1; n <= p; n++ {
		t := toks[L-n]
		for m := 1; m < count; m++ {
			if toks[L-(p*m+n)] != t {
				return false
			}
		}
	}
	return true
}
