const unsigned char fa_model_placeholder = 0;
