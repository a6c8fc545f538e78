;; The fused engine's descent (logitlab/engines/fused.py) for one feature, in the page, as
;; WebAssembly: native float32 arithmetic, four points at a time in SIMD lanes (the engine's
;; sums are reordered by its vector code too) and a pass over a block of points for each step
;; of exp's polynomial (see "the points in blocks"), the same exp and log1p polynomials, optimizer
;; updates (SGD, momentum with or without Nesterov, Adam), mini-batch orders, divergence rule
;; and recorded frames. Where the engine fuses a multiply-add (its _fma), so does this module:
;; f32x4.relaxed_madd (relaxed SIMD, in Chromium since 114) is the processor's own fused
;; multiply-add where it has one (x86 with FMA3, ARM), rounded once as the engine's; where it
;; has none it is a multiply then an add, a rounding apart, well within the tests' 1e-5. A
;; browser without relaxed SIMD cannot compile the module: the page asks the server instead.
;;
;; Why: a float32 loop emulated in JavaScript took 1.4 s for the lecture's 10,000 epochs; a
;; class's sliders need a fit in well under the 300 ms between move and repaint. (Emulating
;; each fused multiply-add in float64, as the JavaScript port did, cost half the time.)
;;
;; static/descent.js drives it: setup() once with the engine's constants (GET /api/config's
;; `descent`; the polynomials' float32 coefficients written at address 0), then per fit prepare() (lays the memory out, exported as the *_at globals), the
;; points and orders written where prepare put them, descend(), losses().
;; Assembled into descent.wasm beside it (tests/web/test_descent.py checks the two agree).
(module
  (import "math" "pow" (func $pow (param f64 f64) (result f64)))
  (memory (export "memory") 1)

  ;; ---- memory: the coefficients, the optimizer's state, then prepare()'s layout ----
  ;; 0..255: the exp2 polynomial's coefficients then log1p's, float32, highest power first
  (global $COEFFICIENTS i32 (i32.const 256))  ;; bytes for them (64 coefficients)
  ;; 256..287: w0 w1, m0 m1, v0 v1, g0 g1 (float32): the parameters, the optimizer's first
  ;; and second moments (momentum's buffer is m) and the latest gradient
  (global $W i32 (i32.const 256))
  (global $M i32 (i32.const 264))
  (global $V i32 (i32.const 272))
  (global $G i32 (i32.const 280))
  ;; a block's scratch (see "the points in blocks"), float32
  (global $BLOCK i32 (i32.const 512))  ;; points in a block
  (global $A i32 (i32.const 1024))
  (global $U i32 (i32.const 3072))
  (global $Z i32 (i32.const 5120))
  (global $P i32 (i32.const 7168))
  (global $DATA i32 (i32.const 9216))  ;; where prepare() lays out the rest

  ;; ---- the engine's constants (setup) ----
  (global $nexp (mut i32) (i32.const 0))      ;; exp2 coefficients, at address 0
  (global $log_at (mut i32) (i32.const 0))    ;; log1p's coefficients' address
  (global $nlog (mut i32) (i32.const 0))
  (global $high_v (mut v128) (v128.const i64x2 0 0))  ;; exp's clamp of its argument, +limit
  (global $low_v (mut v128) (v128.const i64x2 0 0))   ;; and -limit in each lane
  (global $log2e_v (mut v128) (v128.const i64x2 0 0)) ;; log2(e) in each lane

  ;; ---- one fit's sizes and layout (prepare) ----
  (global $n (mut i32) (i32.const 0))         ;; points
  (global $batch (mut i32) (i32.const 0))     ;; points per step (n: full batch)
  (global $epochs (mut i32) (i32.const 0))
  (global $every (mut i32) (i32.const 0))     ;; a frame is recorded every this many epochs
  (global $rows (export "rows") (mut i32) (i32.const 0))  ;; frames but the last: ceil(epochs / every)
  (global $x_at (export "x_at") (mut i32) (i32.const 0))  ;; n float32, zero to a multiple of 16
  (global $y_at (export "y_at") (mut i32) (i32.const 0))  ;; the labels, likewise
  (global $xb_at (mut i32) (i32.const 0))                 ;; a mini-batch's points, gathered
  (global $yb_at (mut i32) (i32.const 0))
  (global $params_at (export "params_at") (mut i32) (i32.const 0)) ;; rows + 1 of w0, w1
  (global $losses_at (export "losses_at") (mut i32) (i32.const 0)) ;; rows + 1 mean losses
  (global $orders_at (export "orders_at") (mut i32) (i32.const 0)) ;; int32, epochs x n

  ;; ---- one fit's optimizer (descend) ----
  (global $kind (mut i32) (i32.const 0))      ;; 0 SGD, 1 momentum, 2 Adam (fused's codes)
  (global $lr (mut f64) (f64.const 0))
  (global $mom (mut f64) (f64.const 0))
  (global $nesterov (mut i32) (i32.const 0))
  (global $b1 (mut f64) (f64.const 0))
  (global $b2 (mut f64) (f64.const 0))
  (global $eps (mut f64) (f64.const 0))

  ;; The constants: nexp exp2 and nlog log1p coefficients at address 0 (written by the caller),
  ;; exp's clamp and log2(e). More coefficients than their room, or fewer than 2, trap.
  (func (export "setup") (param $nexp i32) (param $nlog i32) (param $limit f32) (param $log2e f32)
    (if (i32.or (i32.gt_u (i32.mul (i32.add (local.get $nexp) (local.get $nlog)) (i32.const 4))
                          (global.get $COEFFICIENTS))
                (i32.lt_s (select (local.get $nexp) (local.get $nlog)
                                  (i32.lt_s (local.get $nexp) (local.get $nlog)))
                          (i32.const 2)))
      (then unreachable))
    (global.set $nexp (local.get $nexp))
    (global.set $log_at (i32.mul (local.get $nexp) (i32.const 4)))
    (global.set $nlog (local.get $nlog))
    (global.set $high_v (f32x4.splat (local.get $limit)))
    (global.set $low_v (f32x4.splat (f32.neg (local.get $limit))))
    (global.set $log2e_v (f32x4.splat (local.get $log2e))))

  ;; Lay out one fit of n points (batch >= n: full batch) over `epochs` epochs recorded every
  ;; `every`, with room for `orders` int32 of mini-batch orders; the memory grows when it must
  ;; (traps when it cannot). The points' padding is zeroed: x and y are then written at x_at,
  ;; y_at, the orders at orders_at.
  (func (export "prepare") (param $n i32) (param $batch i32) (param $epochs i32) (param $every i32)
                           (param $orders i32)
    (local $n16 i32) (local $b16 i32) (local $end i32)
    (global.set $n (local.get $n))
    (global.set $batch (select (local.get $n) (local.get $batch)
                               (i32.ge_u (local.get $batch) (local.get $n))))
    (global.set $epochs (local.get $epochs))
    (global.set $every (local.get $every))
    (global.set $rows (i32.div_u (i32.sub (i32.add (local.get $epochs) (local.get $every)) (i32.const 1))
                                 (local.get $every)))
    (local.set $n16 (call $up16 (local.get $n)))
    (local.set $b16 (call $up16 (global.get $batch)))
    (global.set $x_at (global.get $DATA))
    (global.set $y_at (i32.add (global.get $x_at) (i32.shl (local.get $n16) (i32.const 2))))
    (global.set $xb_at (i32.add (global.get $y_at) (i32.shl (local.get $n16) (i32.const 2))))
    (global.set $yb_at (i32.add (global.get $xb_at) (i32.shl (local.get $b16) (i32.const 2))))
    (global.set $params_at (i32.add (global.get $yb_at) (i32.shl (local.get $b16) (i32.const 2))))
    (global.set $losses_at (i32.add (global.get $params_at)
                                    (i32.shl (i32.add (global.get $rows) (i32.const 1)) (i32.const 3))))
    (global.set $orders_at (i32.add (global.get $losses_at)
                                    (i32.shl (i32.add (global.get $rows) (i32.const 1)) (i32.const 2))))
    (local.set $end (i32.add (global.get $orders_at) (i32.shl (local.get $orders) (i32.const 2))))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow (i32.sub (i32.shr_u (i32.add (local.get $end) (i32.const 65535))
                                                     (i32.const 16))
                                          (memory.size)))
                    (i32.const -1))
          (then unreachable))))
    (memory.fill (global.get $x_at) (i32.const 0) (i32.shl (local.get $n16) (i32.const 3))))

  ;; k rounded up to a multiple of 16 (four SIMD vectors of float32: a group of $poly)
  (func $up16 (param $k i32) (result i32)
    (i32.and (i32.add (local.get $k) (i32.const 15)) (i32.const -16)))

  ;; The logits w0 + w1 x of the four points x, as fused.fill_logits: the engine's _fma (w0,
  ;; w1 in every lane).
  (func $logits (param $x v128) (param $w0 v128) (param $w1 v128) (result v128)
    (f32x4.relaxed_madd (local.get $w1) (local.get $x) (local.get $w0)))

  ;; all ones in the lanes of points i .. i + 3 that are below k, zero in the padding
  (func $mask (param $i i32) (param $k i32) (result v128)
    (i32x4.lt_s (i32x4.add (i32x4.splat (local.get $i)) (v128.const i32x4 0 1 2 3))
                (i32x4.splat (local.get $k))))

  ;; the sum of four lanes, in pairs
  (func $sum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; ---- the points in blocks, a pass over a block for each stage ----
  ;; Why passes and groups: exp's polynomial is a chain of six multiply-adds, each waiting on
  ;; the one before. A block's points go through exp a stage at a time (argument, polynomial,
  ;; value), and through the polynomial sixteen at a time: four chains side by side in
  ;; registers, so no step waits long on the one before and none goes through memory. A
  ;; block's values live in float32 scratch: A (exp's argument, then its value), U (the
  ;; logits), Z (exp's polynomial's argument) and P (a polynomial's value), point i at byte 4 i.

  ;; P = the polynomial with `count` (>= 2) coefficients at `at` (highest power first) at the
  ;; block's values at `z` (Z, or A for log1p), for `points` (a multiple of 16), by Horner's
  ;; rule with the engine's fused steps. (The engine's first step, 0 z + c, is c: z is finite
  ;; or NaN, and a NaN z makes the next step NaN.)
  (func $poly (param $points i32) (param $z i32) (param $at i32) (param $count i32)
    (local $i i32) (local $end i32) (local $next i32) (local $last i32) (local $c v128)
    (local $first v128) (local $z0 v128) (local $z1 v128) (local $z2 v128) (local $z3 v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local.set $end (i32.shl (local.get $points) (i32.const 2)))  ;; bytes of float32
    (local.set $first (v128.load32_splat (local.get $at)))
    (local.set $last (i32.add (local.get $at) (i32.shl (i32.sub (local.get $count) (i32.const 1))
                                                       (i32.const 2))))
    (loop $groups  ;; sixteen points (four vectors) through every step
      (local.set $z0 (v128.load (i32.add (local.get $z) (local.get $i))))
      (local.set $z1 (v128.load offset=16 (i32.add (local.get $z) (local.get $i))))
      (local.set $z2 (v128.load offset=32 (i32.add (local.get $z) (local.get $i))))
      (local.set $z3 (v128.load offset=48 (i32.add (local.get $z) (local.get $i))))
      (local.set $p0 (local.get $first))
      (local.set $p1 (local.get $first))
      (local.set $p2 (local.get $first))
      (local.set $p3 (local.get $first))
      (local.set $next (local.get $at))
      (loop $terms  ;; p = p z + c for each next coefficient c
        (local.set $next (i32.add (local.get $next) (i32.const 4)))
        (local.set $c (v128.load32_splat (local.get $next)))
        (local.set $p0 (f32x4.relaxed_madd (local.get $p0) (local.get $z0) (local.get $c)))
        (local.set $p1 (f32x4.relaxed_madd (local.get $p1) (local.get $z1) (local.get $c)))
        (local.set $p2 (f32x4.relaxed_madd (local.get $p2) (local.get $z2) (local.get $c)))
        (local.set $p3 (f32x4.relaxed_madd (local.get $p3) (local.get $z3) (local.get $c)))
        (br_if $terms (i32.lt_u (local.get $next) (local.get $last))))
      (v128.store (i32.add (global.get $P) (local.get $i)) (local.get $p0))
      (v128.store offset=16 (i32.add (global.get $P) (local.get $i)) (local.get $p1))
      (v128.store offset=32 (i32.add (global.get $P) (local.get $i)) (local.get $p2))
      (v128.store offset=48 (i32.add (global.get $P) (local.get $i)) (local.get $p3))
      (local.set $i (i32.add (local.get $i) (i32.const 64)))
      (br_if $groups (i32.lt_u (local.get $i) (local.get $end)))))

  ;; A = exp(A) for a block of `points` (a multiple of 16), as fused._exp: the argument clamped
  ;; to the limit, 2**(v log2 e) = 2**k 2**frac, 2**frac by the polynomial, 2**k from
  ;; exponent bits.
  (func $exp (param $points i32)
    (local $i i32) (local $end i32) (local $t v128) (local $k v128)
    (local.set $end (i32.shl (local.get $points) (i32.const 2)))  ;; bytes of float32
    (loop $vectors  ;; the polynomial's argument to Z, 2**k to A
      ;; the clamp: pmax and pmin (a < b ? b : a) keep a NaN as Math.max and Math.min do
      (local.set $t
        (f32x4.mul (f32x4.pmin (f32x4.pmax (v128.load (i32.add (global.get $A) (local.get $i)))
                                           (global.get $low_v))
                               (global.get $high_v))
                   (global.get $log2e_v)))
      (local.set $k (f32x4.floor (f32x4.add (local.get $t) (v128.const f32x4 0.5 0.5 0.5 0.5))))
      (v128.store (i32.add (global.get $Z) (local.get $i)) (f32x4.sub (local.get $t) (local.get $k)))
      ;; 2**k: k + 1.5 2**23 holds k in its low mantissa bits (|k| < 2**22), moved to the
      ;; exponent's with its bias (a NaN k gives any power: the polynomial is NaN then)
      (v128.store (i32.add (global.get $A) (local.get $i))
        (i32x4.shl (i32x4.add (f32x4.add (local.get $k) (v128.const f32x4 12582912 12582912 12582912 12582912))
                              (v128.const i32x4 -1262485377 -1262485377 -1262485377 -1262485377))
                   (i32.const 23)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $vectors (i32.lt_u (local.get $i) (local.get $end))))
    (call $poly (local.get $points) (global.get $Z) (i32.const 0) (global.get $nexp))
    (local.set $i (i32.const 0))
    (loop $vectors  ;; A = 2**frac 2**k
      (v128.store (i32.add (global.get $A) (local.get $i))
        (f32x4.mul (v128.load (i32.add (global.get $P) (local.get $i)))
                   (v128.load (i32.add (global.get $A) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $vectors (i32.lt_u (local.get $i) (local.get $end)))))

  ;; 1 / (1 + e) in each lane: the sigmoid of u from e = exp(-u)
  (func $logistic (param $e v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e))))

  ;; points of the block starting at point `first` of k: the rest, at most a block, rounded up
  ;; to a group of $poly
  (func $block (param $first i32) (param $k i32) (result i32)
    (call $up16 (select (global.get $BLOCK) (i32.sub (local.get $k) (local.get $first))
                       (i32.gt_s (i32.sub (local.get $k) (local.get $first)) (global.get $BLOCK)))))

  ;; ---- the loss and its gradient ----

  ;; The mean loss (BCE from logits, else MSE) of the k points at xs, ys at w0, w1, as
  ;; fused.mean_bce (softplus(u) - y u, log1p by its polynomial) and fused.mean_mse.
  (func $mean_loss (param $bce i32) (param $xs i32) (param $ys i32) (param $k i32)
                   (param $w0 f32) (param $w1 f32) (result f32)
    (local $first i32) (local $points i32) (local $i i32) (local $at i32) (local $u v128)
    (local $y v128) (local $e v128) (local $term v128) (local $total v128) (local $w0v v128)
    (local $w1v v128)
    (local.set $w0v (f32x4.splat (local.get $w0)))
    (local.set $w1v (f32x4.splat (local.get $w1)))
    (loop $blocks
      (local.set $points (call $block (local.get $first) (local.get $k)))
      (local.set $i (i32.const 0))
      (loop $vectors  ;; U = the logits, A = -|u| (BCE) or -u (MSE)
        (local.set $at (i32.shl (i32.add (local.get $first) (local.get $i)) (i32.const 2)))
        (local.set $u (call $logits (v128.load (i32.add (local.get $xs) (local.get $at)))
                                    (local.get $w0v) (local.get $w1v)))
        (v128.store (i32.add (global.get $U) (i32.shl (local.get $i) (i32.const 2))) (local.get $u))
        (v128.store (i32.add (global.get $A) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.neg (if (result v128) (local.get $bce)
                       (then (f32x4.abs (local.get $u))) (else (local.get $u)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $vectors (i32.lt_u (local.get $i) (local.get $points))))
      (call $exp (local.get $points))
      (if (local.get $bce)
        (then  ;; P = log1p(e) / e by its polynomial
          (call $poly (local.get $points) (global.get $A) (global.get $log_at) (global.get $nlog))))
      (local.set $i (i32.const 0))
      (loop $vectors  ;; the terms, summed
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $u (v128.load (i32.add (global.get $U) (local.get $at))))
        (local.set $e (v128.load (i32.add (global.get $A) (local.get $at))))
        (local.set $y (v128.load (i32.add (local.get $ys)
                                          (i32.shl (i32.add (local.get $first) (local.get $i)) (i32.const 2)))))
        (if (local.get $bce)
          (then  ;; max(u, 0) + log1p(e) - y u; pmax keeps -0 for -0, which adds as +0 would
            (local.set $term
              (f32x4.sub (f32x4.add (f32x4.pmax (local.get $u) (v128.const i64x2 0 0))
                                    (f32x4.mul (local.get $e) (v128.load (i32.add (global.get $P)
                                                                                  (local.get $at)))))
                         (f32x4.mul (local.get $y) (local.get $u)))))
          (else  ;; (y - sigmoid(u))**2
            (local.set $term (f32x4.sub (local.get $y) (call $logistic (local.get $e))))
            (local.set $term (f32x4.mul (local.get $term) (local.get $term)))))
        (local.set $total
          (f32x4.add (local.get $total)
                     (v128.and (local.get $term)
                               (call $mask (i32.add (local.get $first) (local.get $i)) (local.get $k)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $vectors (i32.lt_u (local.get $i) (local.get $points))))
      (local.set $first (i32.add (local.get $first) (global.get $BLOCK)))
      (br_if $blocks (i32.lt_s (local.get $first) (local.get $k))))
    (f32.div (call $sum (local.get $total)) (f32.convert_i32_u (local.get $k))))

  ;; The mean loss's gradient over the k points at xs, ys at the parameters, into G, as
  ;; fused._gradient: d loss / d u (BCE: p - y; MSE: 2 (p - y) p (1 - p)), summed and times x.
  (func $gradient (param $bce i32) (param $xs i32) (param $ys i32) (param $k i32)
    (local $first i32) (local $points i32) (local $i i32) (local $at i32) (local $w0 v128)
    (local $w1 v128) (local $x v128) (local $p v128) (local $r v128) (local $s0 v128)
    (local $s1 v128) (local $inv f32)
    (local.set $w0 (f32x4.splat (f32.load (global.get $W))))
    (local.set $w1 (f32x4.splat (f32.load offset=4 (global.get $W))))
    (loop $blocks
      (local.set $points (call $block (local.get $first) (local.get $k)))
      (local.set $i (i32.const 0))
      (loop $vectors  ;; A = -u
        (v128.store (i32.add (global.get $A) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.neg (call $logits (v128.load (i32.add (local.get $xs)
                                     (i32.shl (i32.add (local.get $first) (local.get $i)) (i32.const 2))))
                                   (local.get $w0) (local.get $w1))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $vectors (i32.lt_u (local.get $i) (local.get $points))))
      (call $exp (local.get $points))
      (local.set $i (i32.const 0))
      (loop $vectors  ;; d loss / d u, summed, and times x
        (local.set $at (i32.shl (i32.add (local.get $first) (local.get $i)) (i32.const 2)))
        (local.set $x (v128.load (i32.add (local.get $xs) (local.get $at))))
        (local.set $p (call $logistic (v128.load (i32.add (global.get $A) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $r (f32x4.sub (local.get $p) (v128.load (i32.add (local.get $ys) (local.get $at)))))
        (if (i32.eqz (local.get $bce))
          (then
            (local.set $r (f32x4.mul (f32x4.mul (f32x4.mul (v128.const f32x4 2 2 2 2) (local.get $r))
                                                (local.get $p))
                                     (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $p))))))
        (local.set $r (v128.and (local.get $r)
                                (call $mask (i32.add (local.get $first) (local.get $i)) (local.get $k))))
        (local.set $s0 (f32x4.add (local.get $s0) (local.get $r)))
        (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $r) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $vectors (i32.lt_u (local.get $i) (local.get $points))))
      (local.set $first (i32.add (local.get $first) (global.get $BLOCK)))
      (br_if $blocks (i32.lt_s (local.get $first) (local.get $k))))
    (local.set $inv (f32.div (f32.const 1) (f32.convert_i32_u (local.get $k))))
    (f32.store (global.get $G) (f32.mul (call $sum (local.get $s0)) (local.get $inv)))
    (f32.store offset=4 (global.get $G) (f32.mul (call $sum (local.get $s1)) (local.get $inv))))

  ;; ---- the optimizer ----

  ;; Step t (from 0) of the optimizer on the two parameters, as fused._update: torch.optim's
  ;; float32 arithmetic, Adam's step scalars in float64.
  (func $update (param $t i32)
    (local $j i32) (local $at i32) (local $g f32) (local $m f32) (local $v f32)
    (local $lr f32) (local $mom f32) (local $buf f32)
    (local $size f32) (local $root f32) (local $weight f32) (local $beta2 f32)
    (local $rest2 f32) (local $eps f32) (local $step f64)
    (local.set $lr (f32.demote_f64 (global.get $lr)))
    (local.set $mom (f32.demote_f64 (global.get $mom)))
    (if (i32.eq (global.get $kind) (i32.const 2))
      (then  ;; Adam's scalars at step t + 1
        (local.set $step (f64.convert_i32_u (i32.add (local.get $t) (i32.const 1))))
        (local.set $size (f32.demote_f64 (f64.div (f64.neg (global.get $lr))
            (f64.sub (f64.const 1) (call $pow (global.get $b1) (local.get $step))))))
        (local.set $root (f32.demote_f64 (f64.sqrt
            (f64.sub (f64.const 1) (call $pow (global.get $b2) (local.get $step))))))
        (local.set $weight (f32.demote_f64 (f64.sub (f64.const 1) (global.get $b1))))
        (local.set $beta2 (f32.demote_f64 (global.get $b2)))
        (local.set $rest2 (f32.demote_f64 (f64.sub (f64.const 1) (global.get $b2))))
        (local.set $eps (f32.demote_f64 (global.get $eps)))))
    (loop $params
      (local.set $at (i32.shl (local.get $j) (i32.const 2)))
      (local.set $g (f32.load (i32.add (global.get $G) (local.get $at))))
      (local.set $m (f32.load (i32.add (global.get $M) (local.get $at))))
      (local.set $v (f32.load (i32.add (global.get $V) (local.get $at))))
      (if (i32.eqz (global.get $kind))
        (then  ;; SGD: w -= lr g
          (call $add_w (local.get $at) (f32.neg (f32.mul (local.get $lr) (local.get $g))))))
      (if (i32.eq (global.get $kind) (i32.const 1))
        (then  ;; momentum: buf = g (first step) or mom buf + g; w -= lr (buf or g + mom buf)
          (local.set $buf (if (result f32) (i32.eqz (local.get $t))
            (then (local.get $g))
            (else (f32.add (f32.mul (local.get $m) (local.get $mom)) (local.get $g)))))
          (f32.store (i32.add (global.get $M) (local.get $at)) (local.get $buf))
          (call $add_w (local.get $at) (f32.neg (f32.mul (local.get $lr)
            (if (result f32) (global.get $nesterov)
              (then (f32.add (local.get $g) (f32.mul (local.get $mom) (local.get $buf))))
              (else (local.get $buf))))))))
      (if (i32.eq (global.get $kind) (i32.const 2))
        (then  ;; Adam: m = lerp(m, g, 1 - b1) (exact at both ends, as torch's), v = b2 v +
               ;; (1 - b2) g g, w += size m / (sqrt(v) / root + eps)
          (local.set $m (if (result f32) (f32.lt (local.get $weight) (f32.const 0.5))
            (then (f32.add (local.get $m)
                           (f32.mul (local.get $weight) (f32.sub (local.get $g) (local.get $m)))))
            (else (f32.sub (local.get $g)
                           (f32.mul (f32.sub (local.get $g) (local.get $m))
                                    (f32.sub (f32.const 1) (local.get $weight)))))))
          (local.set $v (f32.add (f32.mul (local.get $v) (local.get $beta2))
                                 (f32.mul (f32.mul (local.get $rest2) (local.get $g)) (local.get $g))))
          (f32.store (i32.add (global.get $M) (local.get $at)) (local.get $m))
          (f32.store (i32.add (global.get $V) (local.get $at)) (local.get $v))
          (call $add_w (local.get $at)
            (f32.div (f32.mul (local.get $size) (local.get $m))
                     (f32.add (f32.div (f32.sqrt (local.get $v)) (local.get $root)) (local.get $eps))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $params (i32.lt_u (local.get $j) (i32.const 2)))))

  ;; the parameter at byte `at` of W plus `delta`
  (func $add_w (param $at i32) (param $delta f32)
    (local $w i32)
    (local.set $w (i32.add (global.get $W) (local.get $at)))
    (f32.store (local.get $w) (f32.add (f32.load (local.get $w)) (local.get $delta))))

  ;; ---- the divergence rule ----

  ;; The largest |logit| on the data, as fused._largest_logit: the bound over [lo, hi] while
  ;; it is within the limit (or not finite), else the exact maximum (NaN when a logit is NaN).
  (func $largest_logit (param $lo f32) (param $hi f32) (param $limit f64) (result f32)
    (local $w0 f32) (local $a f32) (local $b f32) (local $bound f32) (local $i i32)
    (local $w0v v128) (local $w1v v128) (local $big v128)
    (local.set $w0 (f32.load (global.get $W)))
    (local.set $a (f32.mul (f32.load offset=4 (global.get $W)) (local.get $lo)))
    (local.set $b (f32.mul (f32.load offset=4 (global.get $W)) (local.get $hi)))
    (local.set $bound (f32.max (f32.abs (f32.add (local.get $w0) (f32.max (local.get $a) (local.get $b))))
                               (f32.abs (f32.add (local.get $w0) (f32.min (local.get $a) (local.get $b))))))
    (if (i32.or (f64.le (f64.promote_f32 (local.get $bound)) (local.get $limit))
                (i32.eqz (f32.eq (f32.sub (local.get $bound) (local.get $bound)) (f32.const 0))))
      (then (return (local.get $bound))))
    (local.set $w0v (f32x4.splat (local.get $w0)))
    (local.set $w1v (f32x4.splat (f32.load offset=4 (global.get $W))))
    (block $done
      (loop $points
        (br_if $done (i32.ge_s (local.get $i) (global.get $n)))
        (local.set $big (f32x4.max (local.get $big)
          (v128.and (f32x4.abs (call $logits (v128.load (i32.add (global.get $x_at)
                                                                 (i32.shl (local.get $i) (i32.const 2))))
                                             (local.get $w0v) (local.get $w1v)))
                    (call $mask (local.get $i) (global.get $n)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $points)))
    (f32.max (f32.max (f32x4.extract_lane 0 (local.get $big)) (f32x4.extract_lane 1 (local.get $big)))
             (f32.max (f32x4.extract_lane 2 (local.get $big)) (f32x4.extract_lane 3 (local.get $big)))))

  ;; ---- the descent ----

  ;; the parameters into frame `row`
  (func $record (param $row i32)
    (i64.store (i32.add (global.get $params_at) (i32.shl (local.get $row) (i32.const 3)))
               (i64.load (global.get $W))))

  ;; The k points of `order` (int32 indices) into the mini-batch scratch, zero to a multiple of 16.
  (func $gather (param $order i32) (param $k i32)
    (local $i i32) (local $from i32) (local $to i32) (local $pad i32)
    (block $done
      (loop $points
        (br_if $done (i32.ge_s (local.get $i) (local.get $k)))
        (local.set $from (i32.shl (i32.load (i32.add (local.get $order) (i32.shl (local.get $i) (i32.const 2))))
                                  (i32.const 2)))
        (local.set $to (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (global.get $xb_at) (local.get $to))
                   (f32.load (i32.add (global.get $x_at) (local.get $from))))
        (f32.store (i32.add (global.get $yb_at) (local.get $to))
                   (f32.load (i32.add (global.get $y_at) (local.get $from))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $points)))
    (local.set $to (i32.shl (local.get $k) (i32.const 2)))
    (local.set $pad (i32.sub (i32.shl (call $up16 (local.get $k)) (i32.const 2)) (local.get $to)))
    (memory.fill (i32.add (global.get $xb_at) (local.get $to)) (i32.const 0) (local.get $pad))
    (memory.fill (i32.add (global.get $yb_at) (local.get $to)) (i32.const 0) (local.get $pad)))

  ;; fused.descend for the prepared fit from (w0, w1): loss (bce: 1, MSE: 0), optimizer kind,
  ;; its settings, and the divergence rule's logit limit. Frames before epochs 0, every, ...
  ;; and after the last go to params_at (NaN after a divergence). Returns 0, or the 1-based
  ;; epoch after which the largest |logit| broke the limit (or was NaN).
  (func (export "descend") (param $bce i32) (param $kind i32) (param $lr f64) (param $mom f64)
                           (param $nesterov i32) (param $b1 f64) (param $b2 f64) (param $eps f64)
                           (param $w0 f32) (param $w1 f32) (param $limit f64) (result i32)
    (local $lo f32) (local $hi f32) (local $i i32) (local $epoch i32) (local $t i32)
    (local $at i32) (local $order i32) (local $first i32) (local $k i32)
    (global.set $kind (local.get $kind))
    (global.set $lr (local.get $lr))
    (global.set $mom (local.get $mom))
    (global.set $nesterov (local.get $nesterov))
    (global.set $b1 (local.get $b1))
    (global.set $b2 (local.get $b2))
    (global.set $eps (local.get $eps))
    (f32.store (global.get $W) (local.get $w0))
    (f32.store offset=4 (global.get $W) (local.get $w1))
    (v128.store (global.get $M) (v128.const i64x2 0 0))  ;; m and v
    ;; every frame NaN until written (the JS port's fill)
    (block $filled
      (loop $frames
        (br_if $filled (i32.gt_u (local.get $i) (global.get $rows)))
        (i64.store (i32.add (global.get $params_at) (i32.shl (local.get $i) (i32.const 3)))
                   (i64.const 0x7fc000007fc00000))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $frames)))
    ;; the data's range of x, for the divergence rule's bound (NaN when an x is)
    (local.set $lo (f32.const inf))
    (local.set $hi (f32.const -inf))
    (local.set $i (i32.const 0))
    (block $ranged
      (loop $points
        (br_if $ranged (i32.ge_s (local.get $i) (global.get $n)))
        (local.set $at (i32.add (global.get $x_at) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $lo (f32.min (local.get $lo) (f32.load (local.get $at))))
        (local.set $hi (f32.max (local.get $hi) (f32.load (local.get $at))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $points)))
    (block $ended
      (loop $epochs
        (br_if $ended (i32.ge_s (local.get $epoch) (global.get $epochs)))
        (if (i32.eqz (i32.rem_u (local.get $epoch) (global.get $every)))
          (then (call $record (i32.div_u (local.get $epoch) (global.get $every)))))
        (if (i32.ge_u (global.get $batch) (global.get $n))
          (then
            (call $gradient (local.get $bce) (global.get $x_at) (global.get $y_at) (global.get $n))
            (call $update (local.get $t))
            (local.set $t (i32.add (local.get $t) (i32.const 1))))
          (else  ;; ceil(n / batch) steps over this epoch's order, the last batch smaller
            (local.set $order (i32.add (global.get $orders_at)
                                       (i32.shl (i32.mul (local.get $epoch) (global.get $n)) (i32.const 2))))
            (local.set $first (i32.const 0))
            (block $steps_done
              (loop $steps
                (br_if $steps_done (i32.ge_s (local.get $first) (global.get $n)))
                (local.set $k (i32.sub (global.get $n) (local.get $first)))
                (if (i32.gt_s (local.get $k) (global.get $batch))
                  (then (local.set $k (global.get $batch))))
                (call $gather (i32.add (local.get $order) (i32.shl (local.get $first) (i32.const 2)))
                              (local.get $k))
                (call $gradient (local.get $bce) (global.get $xb_at) (global.get $yb_at) (local.get $k))
                (call $update (local.get $t))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (local.set $first (i32.add (local.get $first) (global.get $batch)))
                (br $steps)))))
        (local.set $epoch (i32.add (local.get $epoch) (i32.const 1)))
        (if (i32.eqz (f64.le (f64.promote_f32 (call $largest_logit (local.get $lo) (local.get $hi)
                                                                   (local.get $limit)))
                             (local.get $limit)))
          (then (return (local.get $epoch))))  ;; also for NaN
        (br $epochs)))
    (call $record (global.get $rows))
    (i32.const 0))

  ;; The mean loss at each of the rows + 1 frames into losses_at (fused.history_values).
  (func (export "losses") (param $bce i32)
    (local $row i32) (local $at i32)
    (loop $frames
      (local.set $at (i32.add (global.get $params_at) (i32.shl (local.get $row) (i32.const 3))))
      (f32.store (i32.add (global.get $losses_at) (i32.shl (local.get $row) (i32.const 2)))
                 (call $mean_loss (local.get $bce) (global.get $x_at) (global.get $y_at) (global.get $n)
                                  (f32.load (local.get $at)) (f32.load offset=4 (local.get $at))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br_if $frames (i32.le_u (local.get $row) (global.get $rows)))))
)
