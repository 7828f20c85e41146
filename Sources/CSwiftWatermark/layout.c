// The header's layout, checked when the library is built: a struct that changes size
// without SWM_ABI_VERSION changing would break every compiled caller.
#include "swift_watermark.h"

_Static_assert(sizeof(swm_params) == 24, "swm_params layout");
_Static_assert(sizeof(swm_result) == 120, "swm_result layout");
_Static_assert(sizeof(swm_detector_options) == 64, "swm_detector_options layout");
