package main

// The picture width from an H.264 sequence parameter set: which simulcast layer a viewer
// receives (320, 640 or 1280 pixels wide), read from the stream itself.

type bitReader struct {
	b   []byte
	pos int // in bits
}

func (r *bitReader) bit() (uint, bool) {
	if r.pos >= len(r.b)*8 {
		return 0, false
	}
	v := uint(r.b[r.pos/8]>>(7-uint(r.pos%8))) & 1
	r.pos++
	return v, true
}

func (r *bitReader) bits(n int) (uint, bool) {
	var v uint
	for i := 0; i < n; i++ {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		v = v<<1 | b
	}
	return v, true
}

// ue reads an unsigned Exp-Golomb code.
func (r *bitReader) ue() (uint, bool) {
	zeros := 0
	for {
		b, ok := r.bit()
		if !ok || zeros > 31 {
			return 0, false
		}
		if b == 1 {
			break
		}
		zeros++
	}
	rest, ok := r.bits(zeros)
	return (1<<zeros - 1) + rest, ok
}

// unescape drops emulation-prevention bytes (00 00 03 → 00 00).
func unescape(b []byte) []byte {
	out := make([]byte, 0, len(b))
	zeros := 0
	for _, c := range b {
		if zeros >= 2 && c == 3 {
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
		out = append(out, c)
	}
	return out
}

// spsWidth parses an SPS NAL unit (header byte included); 0 when it cannot.
func spsWidth(nal []byte) int {
	if len(nal) < 4 {
		return 0
	}
	r := &bitReader{b: unescape(nal[1:])}
	profile, _ := r.bits(8)
	r.bits(16) // constraint flags, level
	r.ue()     // seq_parameter_set_id
	switch profile {
	case 100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135:
		chroma, _ := r.ue()
		if chroma == 3 {
			r.bit()
		}
		r.ue() // bit depth luma
		r.ue() // bit depth chroma
		r.bit()
		if scaling, _ := r.bit(); scaling == 1 {
			return 0 // scaling matrices: not sent by the encoders this benchmark uses
		}
	}
	r.ue() // log2_max_frame_num_minus4
	pocType, _ := r.ue()
	switch pocType {
	case 0:
		r.ue()
	case 1:
		r.bit()
		r.ue()
		r.ue()
		n, _ := r.ue()
		for i := uint(0); i < n && i < 256; i++ {
			r.ue()
		}
	}
	r.ue()  // max_num_ref_frames
	r.bit() // gaps_in_frame_num_allowed
	w, ok := r.ue()
	if !ok {
		return 0
	}
	return int(w+1) * 16
}
