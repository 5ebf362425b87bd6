# Authors: The skhpo developers
# SPDX-License-Identifier: BSD-3-Clause
