package kernels

// RoPENeox rotates the pairs (x[i], x[i+half]) of every head in x by the
// angle whose cosine and sine are cos[i] and sin[i], half = headDim/2 =
// len(cos): the rotate_half form of GPT-NeoX and Hugging Face, which
// llama.cpp calls NEOX and uses for Qwen2 and Qwen3. x holds whole heads.
func RoPENeox(x, cos, sin []float32) {
	half := len(cos)
	if len(sin) != half || half == 0 || len(x)%(2*half) != 0 {
		panic("kernels: RoPENeox shape mismatch")
	}
	for h := 0; h < len(x); h += 2 * half {
		lo, hi := x[h:h+half], x[h+half:h+2*half]
		for i := 0; i < half; i++ {
			a, b := lo[i], hi[i]
			c, s := cos[i], sin[i]
			lo[i] = a*c - b*s
			hi[i] = a*s + b*c
		}
	}
}
